"""kill -9 at seeded random moments during 20 interactions, restart after each: every heard
utterance ends in a final state, every one not expired is answered, none is answered twice."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path
from typing import Any

from tests.e2e.harness import free_port, running_api
from tests.reliability.launcher import write_tones
from tests.reliability.rig import FINAL, Bear, asked_at, question_of, rows, write_config

SEED = 12_2026
KILLS = 10
PER_RUN = 2  # new utterances heard by each killed run: 10 x 2 = 20


def test_kill_minus_9_at_ten_points_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    delays = [round(rng.uniform(0.0, 1.2), 3) for _ in range(KILLS)]
    print(f"seed {SEED}: kill -9 at {delays} s after READY")
    db = tmp_path / "history.sqlite3"
    with running_api("Hello little friend. Shall we count stars?", initial_delay_s=0.15) as api:
        config = write_config(tmp_path, api_url=api.base_url, db=db, port=free_port())
        states_at_kill: list[dict[str, int]] = []
        committed: list[set[int]] = []  # questions replied when each run was killed
        starts: list[float] = []  # when each run (and the last start) was launched
        for run, delay in enumerate(delays):
            ks = list(range(run * PER_RUN, (run + 1) * PER_RUN))
            replay = write_tones(tmp_path / f"run{run}", ks)
            before = len(rows(db))
            starts.append(time.monotonic())
            with Bear(config, tmp_path / "daemon.log", replay=replay) as bear:
                bear.wait_ready()
                # the kill clock starts when this run's first utterance is journaled
                deadline = time.monotonic() + 20
                while len(rows(db)) == before and time.monotonic() < deadline:
                    time.sleep(0.01)
                time.sleep(delay)
                bear.process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
                bear.process.wait(10)  # type: ignore[union-attr]
            table = rows(db)
            states_at_kill.append(_count(table))
            replied = {question_of(r) for r in table if r["reply"]}
            committed.append({k for k in replied if k is not None})
        print("states right after each kill:", states_at_kill)
        # The last start hears nothing new: it only resumes what the kills left behind.
        starts.append(time.monotonic())
        with Bear(config, tmp_path / "daemon.log") as bear:
            bear.wait_ready()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not _all_final(rows(db)):
                time.sleep(0.2)
            bear.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
            assert bear.process.wait(20) == 0, bear.tail()  # type: ignore[union-attr]
        timed = asked_at(api)
    requests = [k for _, k, _ in timed]
    final = rows(db)
    heard = [question_of(r) for r in final]
    print(f"heard {len(final)} of 20; LLM asked {len(requests)} times; final: {_count(final)}")
    assert len(final) >= 18, "nearly every utterance is heard before its run is killed"
    assert all(r["status"] in FINAL for r in final), _count(final)
    answered = [r for r in final if r["status"] != "expired"]
    assert all(r["status"] == "done" and r["reply"] for r in answered), _count(final)
    assert len(heard) == len(set(heard)), f"an utterance was journaled twice: {sorted(heard)}"
    # A reply committed before a kill is never asked for again. Only a kill between the answer
    # arriving and its commit makes the bear ask again (it still answers, i.e. commits, once).
    # Who asked is told by when the request arrived: after the next run was launched, a later
    # run asked (bytes a killed daemon wrote just before its kill arrive before that launch).
    table = "\n".join(
        f"  {at - starts[0]:7.3f} s run {sum(at >= s for s in starts) - 1}: q{k} {text!r}"
        for at, k, text in timed
    )
    for run, replied in enumerate(committed):
        later = {k for at, k, _ in timed if at >= starts[run + 1]}
        again = sorted(later & replied)
        assert again == [], (
            f"questions {again} were answered before kill {run} and asked again; "
            f"runs launched at {[round(s - starts[0], 3) for s in starts]}; requests:\n{table}"
        )
    repeats = {k: requests.count(k) for k in set(requests) if requests.count(k) > 1}
    print("asked again after a kill before the reply was committed:", repeats)
    assert not any((tmp_path / "history.sqlite3.audio").glob("*.flac")), "audio left behind"
    assert len({k for k in delays}) >= 10


def _count(table: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in table:
        out[row["status"]] = out.get(row["status"], 0) + 1
    return out


def _all_final(table: list[dict[str, Any]]) -> bool:
    return bool(table) and all(r["status"] in FINAL for r in table)
