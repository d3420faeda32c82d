"""Cost of recording one interaction in the history, stage by stage (what the daemon does per
utterance: captured, 3 stage results, 7 task rows, 1 alert, finish — 13 committed writes),
against the same 13 committed INSERTs with plain sqlite3 in WAL mode, measured in this run.

Prints p50/p95 per interaction and the ratio (1.00 = no overhead over raw sqlite3).
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from daemon.history import HistoryStore

INTERACTIONS = 300


async def one_interaction(store: HistoryStore) -> float:
    t0 = time.perf_counter()
    iid = await store.record_captured()
    await store.update_stage(
        iid, "transcription", status="transcribed", transcript="hi", timing=0.2
    )
    await store.update_stage(
        iid, "emotion", status="analysed", emotion="joy", emotion_scores={"joy": 0.9}
    )
    await store.update_stage(
        iid, "reply", status="replied", reply="Hello!", offline=False, safety_hits=[], timing=0.5
    )
    for n in range(7):
        await store.record_task(iid, task_id=f"t{n}", type="x", status="completed", duration_s=0.1)
    await store.record_alert(iid, rule="emotion:fear", severity="warning")
    await store.finish(iid, "done", timings={"reply_s": 0.5})
    return time.perf_counter() - t0


def raw_interaction(conn: sqlite3.Connection, n: int) -> float:
    t0 = time.perf_counter()
    for k in range(13):
        conn.execute("INSERT INTO t (k, v) VALUES (?, ?)", (f"{n}-{k}", "x" * 64))
        conn.commit()
    return time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw = sqlite3.connect(Path(tmp) / "raw.sqlite3")
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute("PRAGMA synchronous = NORMAL")
        raw.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
        base = [raw_interaction(raw, n) for n in range(INTERACTIONS)]
        raw.close()
        async with await HistoryStore.open(Path(tmp) / "h.sqlite3") as store:
            ours = [await one_interaction(store) for _ in range(INTERACTIONS)]
    b50, o50 = statistics.median(base), statistics.median(ours)
    print(f"interactions: {INTERACTIONS}, 13 committed writes each")
    for name, values in (("raw sqlite3 (sync)", base), ("HistoryStore (aiosqlite)", ours)):
        p50, p95 = statistics.median(values) * 1e3, pct(values, 0.95) * 1e3
        print(f"{name:26} p50 {p50:.2f} ms  p95 {p95:.2f} ms")
    print(f"ratio p50: {o50 / b50:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
