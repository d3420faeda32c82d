"""Cost of the child's profile in a reply: picking the facts for one prompt, and the prompt's size,
as the profile grows (10, 100, 1,000 facts), measured in this run.

Data: a synthetic profile built with a fixed seed (kinds, pets, names, liked and feared things
and events in the shapes the offline patterns keep) and five fixed utterances. Baseline: one
wordllama embedding of the utterance (a cost every reply already pays in the emotion stage).
"Warm" is the daemon's steady state (each fact's vector computed once and kept); "cold" embeds
every fact (the first reply after a start). The SQLite lines time ``ProfileContext`` on a real
history file: the per-reply change check, and a reload of 1,000 facts after a change.

    .venv/bin/python benchmarks/memory.py
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from daemon.history import HistoryStore
from daemon.history.profile import ProfileContext, remember
from processors.embedding import load_wordllama
from processors.profile import FactIndex, render_block
from processors.reply.llm.prompt import build_system_prompt
from processors.results import ProfileFact

SIZES = (10, 100, 1000)
REPEATS = 40
NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
UTTERANCES = (
    "Do you remember my dog?",
    "I went to the park with my best friend today",
    "I am a bit scared tonight",
    "Can we play a game about dinosaurs?",
    "Guess what, it's nearly my birthday!",
)
_PETS = ("dog", "cat", "rabbit", "hamster", "fish", "pony")
_NAMES = ("Rex", "Tom", "Mia", "Ella", "Sam", "Leo", "Nibbles", "Bella", "Max", "Ruby", "Olly")
_THINGS = ("dinosaurs", "trains", "the dark", "thunder", "painting", "cake", "swimming", "owls")


def profile(n: int, seed: int = 14) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    facts: list[dict[str, Any]] = []
    for i in range(n):
        kind = rng.choice(("pet", "friend", "family", "likes", "fear", "event"))
        subject = {
            "pet": rng.choice(_PETS),
            "friend": "best friend",
            "family": rng.choice(("sister", "brother", "cousin")),
            "event": (NOW.date() + dt.timedelta(days=rng.randint(-30, 30))).isoformat(),
        }.get(kind, "")
        value = rng.choice(_NAMES) if kind in ("pet", "friend", "family") else rng.choice(_THINGS)
        stamp = (NOW - dt.timedelta(days=rng.uniform(0, 365))).isoformat()
        facts.append(
            {"id": i + 1, "kind": kind, "subject": subject, "value": f"{value} {i}"[:40],
             "created_at": stamp, "updated_at": stamp}
        )  # fmt: skip
    return facts


def median_ms(run: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


async def sqlite_lines(n: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with await HistoryStore.open(Path(tmp) / "h.sqlite3") as store:
            facts = [ProfileFact("likes", "", f"thing {i}") for i in range(n)]
            await remember(store, facts, source="patterns", interaction_id=None, now=NOW)
            settings = {"enabled": True, "max_prompt_facts": 6, "max_prompt_chars": 600}
            context = ProfileContext(store, lambda: settings)
            await context()
            checks = []
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                await context()
                checks.append(time.perf_counter() - t0)
            reloads = []
            for _ in range(10):
                context._signature = None  # as after a change to the table
                t0 = time.perf_counter()
                await context()
                reloads.append(time.perf_counter() - t0)
    return statistics.median(checks) * 1000, statistics.median(reloads) * 1000


def main() -> None:
    model = load_wordllama()
    base = median_ms(lambda: [model.embed([u], norm=True) for u in UTTERANCES]) / len(UTTERANCES)
    print(f"baseline: one utterance embedding  {base:7.3f} ms  (ratio 1.00)")
    plain = len(build_system_prompt(5))
    print(f"system prompt without facts: {plain} chars")
    for n in SIZES:
        facts = profile(n)
        warm = FactIndex(model)

        def pick(index: FactIndex = warm, facts: list[dict[str, Any]] = facts) -> None:
            for u in UTTERANCES:
                index.select(facts, u, max_facts=6, max_chars=600, now=NOW)

        pick()  # fill the vectors
        warm_ms = median_ms(pick) / len(UTTERANCES)
        cold_ms = median_ms(lambda f=facts: pick(FactIndex(model), f), repeats=5) / len(UTTERANCES)
        sizes = []
        for u in UTTERANCES:
            chosen = warm.select(facts, u, max_facts=6, max_chars=600, now=NOW)
            memory = render_block(chosen, NOW.date())
            sizes.append(len(build_system_prompt(5, memory=memory)))
        print(
            f"{n:5d} facts: pick warm {warm_ms:7.3f} ms (x{warm_ms / base:5.2f} baseline), "
            f"cold {cold_ms:8.3f} ms (x{cold_ms / base:6.2f}); prompt {min(sizes)}-{max(sizes)} "
            f"chars (+{max(sizes) - plain} over none; limit 600 of facts)"
        )
    check_ms, reload_ms = asyncio.run(sqlite_lines(1000))
    print(
        f"SQLite, 1000 facts: change check per reply {check_ms:.3f} ms (x{check_ms / base:.2f}), "
        f"reload after a change {reload_ms:.3f} ms (x{reload_ms / base:.2f})"
    )


if __name__ == "__main__":
    main()
