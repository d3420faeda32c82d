"""A real parent page to test against: a TOML config file, a real SQLite history seeded through
the history store (three conversations and what the bear remembered from them), the daemon's HTTP
server with the parent site mounted on 127.0.0.1, settings applied through the same reload path
SIGHUP uses, test alerts through a real AlertStage, and the Now state from the real
``live_status``."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daemon.config import TeddyConfig, load_config, reload_config
from daemon.history.profile import facts, remember
from daemon.history.store import HistoryStore
from daemon.ops.health import HealthRegistry
from daemon.ops.http import HealthServer
from daemon.ops.metrics import TeddyMetrics
from daemon.parent.auth import PasswordFile
from daemon.parent.context import ParentContext
from daemon.parent.site import ParentSite
from daemon.parent.wiring import live_status
from processors.alerts.stage import AlertStage
from processors.results import ProfileFact

PASSWORD = "correct horse battery"
TOKEN = "health-token-for-tests"

#: (minutes ago, what the child said, emotion, the bear's reply, offline, alert severity or None)
CONVERSATIONS = (
    (2 * 24 * 60, "I built a tall tower with my blocks", "joy", "What a tall tower!", False, None),
    (24 * 60, "I am scared of the dark at night", "fear", "I'm right here with you.", True, "high"),
    (30, "my fish died today", "sadness", "I'm so sorry about your fish.", False, None),
)


async def seed(store: HistoryStore, now: dt.datetime | None = None) -> list[str]:
    """The three conversations above, written the way the pipeline writes them; their ids."""
    now = now or dt.datetime.now(dt.UTC)
    ids = []
    for minutes_ago, said, emotion, reply, offline, severity in CONVERSATIONS:
        started = now - dt.timedelta(minutes=minutes_ago)
        iid = await store.record_captured(started_at=started, audio=[0.0] * 1600)
        await store.update_stage(iid, "stt", status="transcribed", timing=0.4, transcript=said)
        await store.update_stage(
            iid, "emotion", timing=0.05, emotion=emotion, emotion_scores={emotion: 0.8}
        )
        await store.update_stage(
            iid,
            "reply",
            status="replied",
            timing=0.9,
            reply=reply,
            offline=offline,
            safety_hits=[],
        )
        await store.finish(iid, "done", ended_at=started + dt.timedelta(seconds=12))
        if severity:
            await store.record_alert(
                iid,
                rule=f"emotion:{emotion}",
                severity=severity,
                message=f"child sounded {emotion}",
            )
        ids.append(iid)
    return ids


#: (kind, subject, value, source, index of the conversation it came from), oldest first
FACTS = (
    ("name", "", "Mia", "patterns", 0),
    ("likes", "", "building towers", "llm", 0),
    ("fear", "", "the dark", "patterns", 1),
    ("pet", "fish", "Bubbles", "llm", 2),
)


async def seed_profile(
    store: HistoryStore, ids: list[str], now: dt.datetime | None = None
) -> list[int]:
    """The facts above, kept the way the memory step keeps them (a minute apart, so newest first
    is a fixed order); their ids in the order of FACTS."""
    now = now or dt.datetime.now(dt.UTC)
    for n, (kind, subject, value, source, convo) in enumerate(FACTS):
        await remember(
            store,
            [ProfileFact(kind, subject, value)],
            source=source,
            interaction_id=ids[convo],
            now=now - dt.timedelta(minutes=len(FACTS) - n),
        )
    rows = await facts(store)
    by_value = {row["value"]: int(row["id"]) for row in rows}
    return [by_value[value] for _, _, value, _, _ in FACTS]


@dataclass
class Parts:
    """The daemon's parts ``live_status`` reads, without audio hardware or models."""

    config: TeddyConfig
    env: Mapping[str, str]
    store: HistoryStore | None
    health: HealthRegistry = field(default_factory=HealthRegistry)
    listener: Any = None
    stages: Any = None
    gate: Any = None
    config_path: Path | None = None

    async def reload(self) -> str:
        plan = reload_config(self.config, self.config_path, self.env)
        self.config = plan.config
        return plan.summary()


def write_config(folder: Path, extra: str = "", store_audio: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "teddy.toml"
    path.write_text(
        f'[history]\npath = "{folder / "history.sqlite3"}"\n'
        f"store_audio = {'true' if store_audio else 'false'}\n"
        f'[health]\nport = 0\ntoken = "{TOKEN}"\n'
        "[alerts]\ndesktop = false\n" + extra,
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


class Served:
    """Everything above, started: ``await Served.start(tmp_path)``; ``url``; ``await stop()``."""

    def __init__(self, parts: Parts, server: HealthServer, site: ParentSite) -> None:
        self.parts = parts
        self.server = server
        self.site = site
        self.ids: list[str] = []
        self.facts: list[int] = []

    @property
    def url(self) -> str:
        return self.server.url

    @classmethod
    async def start(
        cls,
        folder: Path,
        *,
        password: str | None = PASSWORD,
        env: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        extra_toml: str = "",
        store_audio: bool = False,
        seeded: bool = True,
    ) -> Served:
        env = dict(env or {})
        config_path = write_config(folder, extra_toml, store_audio)
        config = load_config(config_path, env)
        history = folder / "history.sqlite3"
        store = await HistoryStore.open(history, store_audio=store_audio)
        parts = Parts(config, env, store, config_path=config_path)
        parts.health.set_ready("models")
        parts.health.set_ready("capture")

        async def send_test() -> list[Mapping[str, Any]]:
            stage = AlertStage.from_config(parts.config.alerts.model_dump())
            return [d.to_dict() for d in await stage.send_test()]

        async def status() -> Mapping[str, Any]:
            return await live_status(parts)

        ctx = ParentContext(
            history_path=history,
            config=lambda: parts.config,
            store=lambda: parts.store,
            status=status,
            apply_settings=parts.reload,
            send_test=send_test,
            env=env,
        )
        if password is not None:
            PasswordFile(ctx.password_path).set(password)
        site = ParentSite(ctx, lambda: parts.config.health.token)
        server = HealthServer(
            parts.health, TeddyMetrics(), host=host, port=0, token=config.health.token, site=site
        )
        served = cls(parts, server, site)
        if seeded:
            served.ids = await seed(store)
            served.facts = await seed_profile(store, served.ids)
        try:
            await server.start()
        except BaseException:
            await store.close()
            raise
        return served

    async def stop(self) -> None:
        await self.server.stop()
        if self.parts.store is not None:
            await self.parts.store.close()


class ServedInThread:
    """``Served`` on its own event loop in a thread, for blocking clients (a browser driver)."""

    def __init__(self, folder: Path, **kw: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.served: Served = self.call(Served.start(folder, **kw))

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=60)

    def close(self) -> None:
        self.call(self.served.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
