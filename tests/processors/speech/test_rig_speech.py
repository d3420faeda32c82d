"""Speech through real audio: PortAudio → the rig's virtual speaker → parecord of its monitor →
the project's STT. Also the stop/cancel latency, measured from the recording."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
import soundfile as sf

from processors import ProcessingTask, ProcessingType, TaskStatus, create_processor
from processors.audio.samples import as_float32
from processors.speech.stage import Speaker
from processors.speech.tts.base import OutputUnavailable
from processors.speech.tts.chain import TtsChain
from processors.stt.wer import wer
from tests.processors.speech.doubles import ToneVoice

if TYPE_CHECKING:
    from processors.stt.stage import Transcriber
    from tests.audio_rig import AudioRig

pytestmark = [pytest.mark.slow, pytest.mark.audio]

REPLY = (
    "Hello there, little friend!",
    "Shall we read a story about a sleepy dragon together?",
    "The dragon lived in a cozy cave by the sea.",
)


def recorded(path: Path) -> np.ndarray:
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return as_float32(data, int(rate))


def sound_span(audio: np.ndarray, rate: int = 16_000, floor: float = 0.02) -> float:
    """Seconds from the first to the last sample louder than ``floor``."""
    loud = np.flatnonzero(np.abs(audio) > floor)
    return float((loud[-1] - loud[0]) / rate) if loud.size else 0.0


async def streamed_reply_through_processor(speaker: Speaker) -> tuple[Any, float]:
    """A reply stage that streams its sentences into the Speaker (as the response stage does),
    then the speech task that depends on it. Returns (speech result, reply end)."""
    reply_done: list[float] = []

    async def reply_stage(task: ProcessingTask) -> dict[str, Any]:
        iid = task.payload["interaction_id"]
        for sentence in REPLY:
            await speaker.put(iid, sentence)
            await asyncio.sleep(0.5)  # stands for the model's token rate
        await speaker.close(iid)
        reply_done.append(time.monotonic())
        return {"reply": " ".join(REPLY), "sentences": list(REPLY)}

    processor = await create_processor(max_workers=2)
    try:
        processor.register_processor(ProcessingType.AI_RESPONSE, reply_stage)
        processor.register_processor("speech", speaker)
        reply = ProcessingTask(ProcessingType.AI_RESPONSE, {"interaction_id": "i1"})
        speech = ProcessingTask(
            "speech",
            {"interaction_id": "i1"},
            depends_on=[reply.id],
        )
        await processor.submit_tasks([reply, speech])
        return await processor.wait_for_task(speech.id, timeout=60), reply_done[0]
    finally:
        await processor.shutdown(timeout=5)


async def test_streamed_reply_is_heard_and_transcribes_back(
    warm_rig: AudioRig, transcriber: Transcriber
) -> None:
    speaking: list[bool] = []
    speaker = Speaker(backend="hibari", on_speaking=speaking.append)
    await speaker.load()
    with warm_rig.recording() as rec:
        result, reply_done_at = await streamed_reply_through_processor(speaker)
    assert result.status is TaskStatus.COMPLETED, result.error
    speech = result.result
    assert speech["backend"] == "hibari" and speech["streamed"] and not speech["interrupted"]
    assert speech["first_audio_at"] < reply_done_at  # talking before the reply was complete
    assert speaking == [True, False]
    heard = transcriber.transcribe_array(recorded(rec.path))["text"]
    assert wer([(" ".join(REPLY), heard)]) <= 0.15, heard


@pytest.mark.parametrize("backend", ["piper", "espeak-ng"])
async def test_each_backend_is_heard_and_transcribes_back(
    warm_rig: AudioRig, transcriber: Transcriber, backend: str
) -> None:
    if backend == "piper":
        pytest.importorskip("piper")
    speaker = Speaker(backend=backend, fallback=False)
    text = " ".join(REPLY[:2])
    with warm_rig.recording() as rec:
        result = await speaker.speak("i2", text)
    assert result["backend"] == backend
    heard = transcriber.transcribe_array(recorded(rec.path))["text"]
    assert wer([(text, heard)]) <= 0.15, heard


async def test_stop_silences_the_speaker_within_100_ms(warm_rig: AudioRig) -> None:
    started = asyncio.Event()
    chain = TtsChain([lambda: ToneVoice(seconds_per_char=0.2)])  # one 4 s "sentence"
    speaker = Speaker(chain=chain, on_speaking=lambda on: started.set() if on else None)
    with warm_rig.recording() as rec:
        await speaker.put("i3", "A very long sentence.")
        await asyncio.wait_for(started.wait(), 10)
        await asyncio.sleep(1.0)  # let it talk for a while, then barge in
        asked = time.monotonic()
        await speaker.stop("i3")
        result = await speaker.speak("i4", "")  # a later interaction is unaffected
        await asyncio.sleep(0.3)  # keep recording past the stop
    speech = await speaker(_speech_task("i3"))
    assert speech["interrupted"] and speech["stop_latency_s"] < 0.1  # in the playback loop
    played_before_stop = asked - speech["first_audio_at"]
    heard = sound_span(recorded(rec.path))
    # what the monitor heard ends at most 100 ms after the stop (start latency cancels out)
    assert 0.5 * played_before_stop < heard < played_before_stop + 0.1, (heard, played_before_stop)
    assert result["spoken"] == ""


async def test_cancelling_the_speech_task_stops_playback_within_100_ms(
    warm_rig: AudioRig,
) -> None:
    quiet_at: list[float] = []
    loud, quiet = asyncio.Event(), asyncio.Event()

    def on_speaking(on: bool) -> None:
        if on:
            loud.set()
        else:
            quiet_at.append(time.monotonic())
            quiet.set()

    speaker = Speaker(backend="hibari", on_speaking=on_speaking)
    await speaker.load()
    processor = await create_processor(max_workers=2)
    try:
        processor.register_processor("speech", speaker)
        text = "Once upon a time, a little bear walked all the way to the big blue mountain."
        task = _speech_task("i5", text=text)
        await processor.submit_task(task)
        await asyncio.wait_for(loud.wait(), 10)
        await asyncio.sleep(0.5)
        asked = time.monotonic()
        assert await processor.cancel_task(task.id, "child barged in")
        result = await processor.wait_for_task(task.id, timeout=5)
        await asyncio.wait_for(quiet.wait(), 2)
    finally:
        await processor.shutdown(timeout=5)
    assert result.status is TaskStatus.CANCELLED
    assert quiet_at[0] - asked < 0.1  # the device stream was aborted and closed


async def test_missing_output_device_fails_only_that_task(warm_rig: AudioRig) -> None:
    processor = await create_processor(max_workers=2)
    try:
        processor.register_processor(
            "speech", Speaker(backend="espeak-ng", output_device="usb-bear")
        )
        bad = _speech_task("i6", text="Hello.")
        await processor.submit_task(bad)
        failed = await processor.wait_for_task(bad.id, timeout=30)
        processor.register_processor("speech", Speaker(backend="espeak-ng", output_device="PULSE"))
        good = _speech_task("i7", text="Hello.")
        await processor.submit_task(good)
        ok = await processor.wait_for_task(good.id, timeout=30)
    finally:
        await processor.shutdown(timeout=5)
    assert failed.status is TaskStatus.FAILED and "usb-bear" in str(failed.error)
    assert ok.status is TaskStatus.COMPLETED and ok.result["spoken"] == "Hello."


def test_output_device_by_index_name_or_default(warm_rig: AudioRig) -> None:
    from processors.speech.tts.playback import output_devices, resolve_output_device

    outputs = output_devices()
    pulse = next(o["index"] for o in outputs if o["name"] == "pulse")
    assert resolve_output_device("PuLsE") == pulse
    assert resolve_output_device(str(pulse)) == pulse
    assert resolve_output_device(None) in {o["index"] for o in outputs}
    with pytest.raises(OutputUnavailable, match="no output device matches 'usb-bear'"):
        resolve_output_device("usb-bear")
    with pytest.raises(OutputUnavailable, match="999 is not an output device"):
        resolve_output_device(999)


def _speech_task(interaction_id: str, **payload: Any) -> ProcessingTask:
    return ProcessingTask("speech", {"interaction_id": interaction_id, **payload})
