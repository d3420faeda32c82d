"""The journal: every utterance the endpointer closes is on disk before anything else happens to it.

One row per utterance in ``interactions`` moves through explicit states::

    heard → transcribed → replied → spoken → done
      └──────────┴───────────┴─────────┴──→ failed | rejected | interrupted   (final)
    dropped (the backlog was full)    expired (too old to answer after a restart)   (final)

``heard`` is committed (``synchronous=FULL``: fsync'd) together with the utterance's audio, a
16 kHz FLAC file written to a temporary name, fsync'd and renamed into ``<db>.audio/``; only then
is the utterance queued. On start the daemon resumes unfinished rows oldest first (see
:func:`plan_resume`); audio of final rows is deleted unless ``history.store_audio`` is on, and
audio a kill left between two steps is settled first (:meth:`Journal.sweep_audio`).

This is the daemon's only crash-recovery mechanism: the engine's ``snapshot()``/``restore()``
(``processors/engine/snapshot.py``) stays part of the job-processor API for library users, but
the daemon does not use it — a job graph carries audio and live objects that are not JSON, and
the journal already knows how far each utterance got.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from daemon.history.store import TERMINAL, HistoryStore, utc_iso

log = logging.getLogger(__name__)

#: a row resumed from its audio this many times without getting past it is given up on: an
#: utterance that crashes a native decoder must not crash the daemon forever. Rows that got
#: further (a transcript) are not counted: from there on the work is plain Python, and a daemon
#: killed again and again (power flapping) must still answer them.
MAX_ATTEMPTS = 5

ResumeKind = Literal["audio", "text", "speak", "done", "heard_in_part"]


@dataclass(frozen=True)
class Resume:
    """What to do with one unfinished row after a restart."""

    interaction_id: str
    kind: ResumeKind  # audio: run it all; text: from the transcript; speak: say the reply
    started_at: str
    transcript: str | None = None
    reply: str | None = None
    audio_path: str | None = None
    sample_rate: int = 16_000


def audio_dir_for(db_path: Path) -> Path:
    """``history.sqlite3`` → ``history.sqlite3.audio/`` (private like the database)."""
    return db_path.with_name(f"{db_path.name}.audio")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_flac(folder: Path, name: str, audio: Any, sample_rate: int) -> Path:
    """Write ``audio`` (float -1..1 or int16) as 16-bit FLAC, durably: temp file, fsync, rename,
    fsync the folder. A crash leaves either the whole file or a stray ``.tmp`` (ignored)."""
    import soundfile as sf

    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = np.asarray(audio)
    if data.dtype.kind == "f":
        data = np.clip(np.nan_to_num(data), -1.0, 1.0)
    target = folder / f"{name}.flac"
    tmp = folder / f".{name}.flac.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb", closefd=False) as fh:
            sf.write(fh, data.reshape(-1), sample_rate, format="FLAC", subtype="PCM_16")
            fh.flush()
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(target)
    _fsync_dir(folder)
    return target


def read_flac(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    import soundfile as sf

    data, rate = sf.read(str(path), dtype="float32", always_2d=False)
    return np.asarray(data, dtype=np.float32), int(rate)


class Journal:
    """Audio files and the journal rows that point at them, on a :class:`HistoryStore`."""

    def __init__(self, store: HistoryStore, *, store_audio: bool = False) -> None:
        self.store = store
        self.audio_dir = audio_dir_for(store.path)
        self.store_audio = store_audio

    async def heard(
        self,
        interaction_id: str,
        audio: Any,
        sample_rate: int,
        *,
        started_at: dt.datetime | None = None,
    ) -> None:
        """The audio file, then the ``heard`` row; both durable when this returns."""
        path = await asyncio.to_thread(
            write_flac, self.audio_dir, interaction_id, audio, sample_rate
        )
        await self.store.record_captured(
            interaction_id=interaction_id,
            audio_path=path.name,
            sample_rate=sample_rate,
            started_at=started_at,
        )

    async def dropped(self, interaction_id: str, audio: Any, sample_rate: int, reason: str) -> None:
        """A final ``dropped`` row (its audio only with ``store_audio``): the parent can see that
        the bear heard something it could not answer."""
        name = None
        if self.store_audio:
            path = await asyncio.to_thread(
                write_flac, self.audio_dir, interaction_id, audio, sample_rate
            )
            name = path.name
        await self.store.record_captured(
            interaction_id=interaction_id,
            audio_path=name,
            sample_rate=sample_rate,
            status="dropped",
        )
        await self.store.write(
            "UPDATE interactions SET ended_at = ?, error = ? WHERE id = ?",
            (utc_iso(), reason, interaction_id),
        )

    async def speaking(self, interaction_id: str) -> None:
        """The bear is about to say this interaction's reply: durable before the first sound."""
        await self.store.write(
            "UPDATE interactions SET speaking_at = ? WHERE id = ? AND speaking_at IS NULL",
            (utc_iso(), interaction_id),
        )

    async def final(self, interaction_id: str, status: str, error: str | None = None) -> None:
        """Mark a row final outside the pipeline (expired, given up) and release its audio."""
        await self.store.finish(interaction_id, status, error=error)
        await self.release_audio(interaction_id)

    async def release_audio(self, interaction_id: str) -> None:
        """Delete a finished row's audio file unless ``store_audio`` keeps it."""
        if self.store_audio:
            return
        await asyncio.to_thread(self._unlink, interaction_id)
        await self.store.write(
            "UPDATE interactions SET audio_path = NULL WHERE id = ?", (interaction_id,)
        )

    def _unlink(self, interaction_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.audio_dir / f"{interaction_id}.flac").unlink()

    def load_audio(self, resume: Resume) -> tuple[npt.NDArray[np.float32], int] | None:
        if resume.audio_path is None:
            return None
        path = self.audio_dir / Path(resume.audio_path).name  # never outside the folder
        try:
            return read_flac(path)
        except Exception as exc:
            log.error("journal: audio of %s unreadable (%s): %s", resume.interaction_id, path, exc)
            return None

    async def unfinished(self) -> list[dict[str, Any]]:
        marks = ",".join("?" * len(TERMINAL))
        return await self.store.fetch(
            "SELECT id, started_at, status, source, transcript, reply, audio_path, sample_rate, "
            f"attempts, speaking_at FROM interactions WHERE status NOT IN ({marks}) "
            "ORDER BY started_at, rowid",
            TERMINAL,
        )

    async def sweep_audio(self) -> None:
        """Before capture starts: settle audio files a kill left between two steps.

        Killed between a row's end and its file's deletion, a final row still points at its
        audio: it is released now. Killed between the file's rename and its ``heard`` row, a
        file has no row: it was heard, so it is journaled now (its time is the file's) and
        resumed like any other. Half-written ``.tmp`` files are deleted."""
        if not self.audio_dir.is_dir():
            return
        marks = ",".join("?" * len(TERMINAL))
        if not self.store_audio:
            for row in await self.store.fetch(
                f"SELECT id FROM interactions WHERE status IN ({marks}) AND audio_path IS NOT NULL",
                TERMINAL,
            ):
                await self.release_audio(str(row["id"]))
        # one query for the files rows point at; only the rest (rare) is looked up one by one
        named = await self.store.fetch(
            "SELECT audio_path FROM interactions WHERE audio_path IS NOT NULL"
        )
        referenced = {str(row["audio_path"]) for row in named}
        files = await asyncio.to_thread(lambda: sorted(self.audio_dir.iterdir()))
        for path in files:
            if path.name.endswith(".tmp"):
                await asyncio.to_thread(path.unlink, missing_ok=True)
                continue
            iid = path.stem
            if (
                path.suffix != ".flac"
                or path.name in referenced
                or await self.store.fetch("SELECT 1 FROM interactions WHERE id = ?", (iid,))
            ):
                continue
            log.warning("journal: %s was heard but not journaled (killed); resuming it", path.name)
            try:
                rate = await asyncio.to_thread(_flac_rate, path)
            except Exception as exc:  # unreadable: nothing can be made of it
                log.error("journal: %s is unreadable (%s); deleted", path.name, exc)
                await asyncio.to_thread(path.unlink, missing_ok=True)
                continue
            mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            await self.store.record_captured(
                interaction_id=iid, audio_path=path.name, sample_rate=rate, started_at=mtime
            )

    async def resume_plan(
        self, max_age_s: float, *, speak: bool, now: dt.datetime | None = None
    ) -> list[Resume]:
        """The unfinished rows to resume, oldest first. Rows older than ``max_age_s`` become
        ``expired``, rows resumed from audio ``MAX_ATTEMPTS`` times ``failed``; such an attempt
        is counted before it runs."""
        now = now or dt.datetime.now(dt.UTC)
        await self.sweep_audio()
        plan: list[Resume] = []
        for row in await self.unfinished():
            iid = str(row["id"])
            age = (now - dt.datetime.fromisoformat(str(row["started_at"]))).total_seconds()
            if age > max_age_s:
                await self.final(
                    iid,
                    "expired",
                    f"not answered: {age:.0f} s old at restart, over "
                    f"history.resume_max_age_s = {max_age_s:g}",
                )
                continue
            if int(row["attempts"] or 0) >= MAX_ATTEMPTS:
                await self.final(
                    iid,
                    "failed",
                    f"given up after {MAX_ATTEMPTS} starts that never got past its audio",
                )
                continue
            resume = plan_resume(row, speak=speak)
            if resume is None:
                await self.final(iid, "failed", "its audio was lost before it was transcribed")
                continue
            if resume.kind == "done":
                await self.final(iid, "done")
                continue
            if resume.kind == "heard_in_part":
                await self.final(
                    iid,
                    "interrupted",
                    "the daemon stopped while the bear was saying the reply; not said again",
                )
                continue
            if resume.kind == "audio":
                await self.store.write(
                    "UPDATE interactions SET attempts = attempts + 1 WHERE id = ?", (iid,)
                )
            plan.append(resume)
        return plan


def _flac_rate(path: Path) -> int:
    import soundfile as sf

    return int(sf.info(str(path)).samplerate)


def plan_resume(row: dict[str, Any], *, speak: bool) -> Resume | None:
    """How to pick a row up again without answering twice: a reply that was already spoken is
    never repeated, nor one the bear had begun to say (``speaking_at``: the child heard part of
    it; the row ends ``interrupted``); a reply that was given but not spoken is spoken (not asked
    for again); a transcript is not transcribed again. None: nothing left to work from."""
    status = str(row["status"])
    transcript = row.get("transcript") or None
    reply = row.get("reply") or None
    # a reply on disk is never asked for again, whatever status a kill left beside it
    replied = status == "replied" or reply is not None
    kind: ResumeKind
    if status == "spoken" or (replied and (not speak or not reply)):
        kind = "done"
    elif row.get("speaking_at"):
        kind = "heard_in_part"
    elif replied:
        kind = "speak"
    elif transcript:
        kind = "text"
    elif row.get("audio_path"):
        kind = "audio"
    else:
        return None
    return Resume(
        interaction_id=str(row["id"]),
        kind=kind,
        started_at=str(row["started_at"]),
        transcript=transcript,
        reply=reply,
        audio_path=row.get("audio_path"),
        sample_rate=int(row.get("sample_rate") or 16_000),
    )
