"""The child's profile in the history database (table ``profile_facts``): keep, list, forget.

Facts come from the ``profile_update`` step (:class:`processors.results.ProfileUpdate`); each
row says when it was first and last heard and from which interaction. A fact heard again only
refreshes ``updated_at``. One value per name/age (a new one replaces the old) and per named pet,
friend or family member of the same kind and subject keeps the profile from contradicting
itself. The parent reads, corrects and deletes facts (``teddy profile``, the parent page);
:class:`ProfileContext` hands the reply its candidates, cached until the table changes.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from daemon.history.store import HistoryStore, Rows, utc_iso
from processors.memory.privacy import MAX_VALUE_CHARS, refusal
from processors.results import ProfileFact

#: kinds that hold one value: a new one replaces the old ("I'm six" after "I'm five")
SINGLE_VALUED = ("name", "age")
#: the most facts the daemon loads as candidates for a prompt (newest first)
MAX_CANDIDATES = 1000
_COLUMNS = "id, kind, subject, value, source, interaction_id, created_at, updated_at"

Clock = Callable[[], dt.datetime]
log = logging.getLogger(__name__)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def remember(
    store: HistoryStore,
    facts: Iterable[ProfileFact],
    *,
    source: str,
    interaction_id: str | None,
    now: dt.datetime | None = None,
) -> int:
    """Keep ``facts`` (already checked by the stage); the number of rows written."""
    stamp = utc_iso(now)
    written = 0
    for fact in facts:
        if fact.kind in SINGLE_VALUED:
            await store.write(
                "DELETE FROM profile_facts WHERE kind = ? AND value != ?", (fact.kind, fact.value)
            )
        written += await store.write(
            "INSERT INTO profile_facts (kind, subject, value, source, interaction_id, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (kind, subject, value) DO UPDATE SET updated_at = excluded.updated_at, "
            "interaction_id = COALESCE(excluded.interaction_id, profile_facts.interaction_id)",
            (fact.kind, fact.subject, fact.value, source, interaction_id, stamp, stamp),
        )
    return written


async def facts(store: HistoryStore, limit: int | None = None) -> Rows:
    """The profile, newest first (``limit`` rows at most)."""
    sql = f"SELECT {_COLUMNS} FROM profile_facts ORDER BY updated_at DESC, id DESC"
    if limit is not None:
        return await store.fetch(sql + " LIMIT ?", (limit,))
    return await store.fetch(sql)


async def correct(
    store: HistoryStore, fact_id: int, value: str, *, now: dt.datetime | None = None
) -> dict[str, Any] | None:
    """The parent corrects a fact's value (e.g. the parent page): the updated row, None if there
    is no such fact; ValueError naming what is wrong if the new value may not be kept."""
    rows = await store.fetch(f"SELECT {_COLUMNS} FROM profile_facts WHERE id = ?", (fact_id,))
    if not rows:
        return None
    row, value = rows[0], " ".join(value.split())
    why = refusal(row["kind"], row["subject"], value)
    if why is not None:
        raise ValueError(
            f"fact {fact_id}: {value!r} cannot be kept ({why}); use up to "
            f"{MAX_VALUE_CHARS} characters of plain words, no personal data"
        )
    try:
        await store.write(
            "UPDATE profile_facts SET value = ?, source = 'parent', updated_at = ? WHERE id = ?",
            (value, utc_iso(now), fact_id),
        )
    except sqlite3.IntegrityError:
        raise ValueError(f"fact {fact_id}: the profile already has {value!r}") from None
    return (await store.fetch(f"SELECT {_COLUMNS} FROM profile_facts WHERE id = ?", (fact_id,)))[0]


async def forget(store: HistoryStore, fact_id: int) -> bool:
    """Delete one fact; False if there was none with that id."""
    return await store.write("DELETE FROM profile_facts WHERE id = ?", (fact_id,)) > 0


async def forget_all(store: HistoryStore) -> int:
    """Delete the whole profile; the number of facts deleted."""
    return await store.write("DELETE FROM profile_facts")


async def _signature(store: HistoryStore) -> tuple[Any, ...]:
    rows = await store.fetch(
        "SELECT COUNT(*) AS n, MAX(id) AS last, MAX(updated_at) AS touched FROM profile_facts"
    )
    row = rows[0] if rows else {}
    return (row.get("n"), row.get("last"), row.get("touched"))


class ProfileContext:
    """Part of the pipeline's reply context: ``{"profile": {"facts", "max_facts", "max_chars",
    "now"}}`` or ``{}`` when memory is off. ``settings()`` is read on each call, so SIGHUP turns
    memory off at once; the facts are re-read only when the table changed (a cheap count/max
    query tells), also when ``teddy profile forget`` changed it from another process."""

    def __init__(
        self,
        store: HistoryStore,
        settings: Callable[[], Mapping[str, Any]],
        clock: Clock = _utc_now,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self._cached: Rows = []
        self._signature: tuple[Any, ...] | None = None

    async def __call__(self) -> dict[str, Any]:
        memory = self.settings()
        if not memory.get("enabled", False) or int(memory.get("max_prompt_facts", 0)) <= 0:
            return {}
        signature = await _signature(self.store)
        if signature != self._signature:
            self._cached = await facts(self.store, MAX_CANDIDATES)
            self._signature = signature
        return {
            "profile": {
                "facts": list(self._cached),
                "max_facts": int(memory["max_prompt_facts"]),
                "max_chars": int(memory["max_prompt_chars"]),
                "now": self.clock().isoformat(),
            }
        }


class ReplyContext:
    """The pipeline's context provider: the conversation's turns and the profile's candidates.
    Either part failing leaves the other (the bear answers with what it has)."""

    def __init__(self, conversation: Callable[[], Any], profile: ProfileContext) -> None:
        self.conversation = conversation
        self.profile = profile

    async def __call__(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for part in (self.conversation, self.profile):
            try:
                merged.update(await part())
            except Exception as exc:
                log.warning("reply context: %s failed (%s: %s)", part, type(exc).__name__, exc)
        return merged
