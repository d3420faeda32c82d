"""The Speaker's behaviour: streaming, pipelining, one interaction at a time, half-duplex
signal, stop/cancel, fallback and failures. Audio edges are test doubles (tests/speech/doubles);
the real device path is covered by test_rig_speech.py."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest

from processors import ProcessingTask
from processors.speech.stage import Speaker
from processors.speech.tts.base import OutputUnavailable, TtsError
from processors.speech.tts.chain import TtsChain
from tests.processors.speech.doubles import FakeOutput, ToneVoice


def make(
    *voices: ToneVoice, output: FakeOutput | None = None, **kw: Any
) -> tuple[Speaker, FakeOutput]:
    out = output or FakeOutput()
    chain = TtsChain([functools.partial(_same, v) for v in (voices or (ToneVoice(),))])
    return Speaker(chain=chain, output=out, **kw), out


def _same(voice: ToneVoice) -> ToneVoice:
    return voice


def speech_task(interaction_id: str, reply: str | None = None, **payload: Any) -> ProcessingTask:
    task = ProcessingTask("speech", {"interaction_id": interaction_id, **payload})
    if reply is not None:
        task.depends_on = ["r"]
        task.dependency_results["r"] = {"reply": reply}
        task.dependency_types["r"] = "ai_response"
    return task


async def test_streamed_sentences_play_in_order_and_the_stage_returns_timings() -> None:
    speaker, out = make()
    await speaker.put("a", "Hello there.")
    await speaker.put("a", "How are you today?")
    await speaker.close("a")
    result = await speaker(speech_task("a", reply="ignored: it was streamed"))
    assert result["spoken"] == "Hello there. How are you today?"
    assert result["streamed"] is True and result["interrupted"] is False
    assert result["backend"] == "tone" and result["sentences"] == 2
    assert result["audio_s"] == pytest.approx((12 + 18) * 0.004, abs=0.01)
    assert result["first_audio_s"] is not None and result["first_audio_at"] is not None
    assert len(out.played) == 2 and out.opened == 1


async def test_sentence_k_plus_1_is_synthesized_while_k_plays() -> None:
    voice = ToneVoice(seconds_per_char=0.01, synth_delay_s=0.05)
    speaker, out = make(voice)
    await speaker.put("a", "A fairly long first sentence to play.")
    await speaker.put("a", "Second.")
    await speaker.close("a")
    await speaker(speech_task("a"))
    second_synth_started = voice.calls[1][1]
    first = out.played[0]
    assert second_synth_started < first.end  # not after sentence 1 finished playing


async def test_speech_starts_before_the_reply_is_complete() -> None:
    started = asyncio.Event()
    speaker, _ = make(on_speaking=lambda on: started.set() if on else None)
    await speaker.put("a", "First sentence arrives early.")
    await asyncio.wait_for(started.wait(), 5)  # speaking while the reply still streams
    await speaker.put("a", "The rest comes later.")
    await speaker.close("a")
    assert (await speaker(speech_task("a")))["sentences"] == 2


async def test_one_interaction_speaks_at_a_time() -> None:
    speaker, out = make(ToneVoice(seconds_per_char=0.005))
    for iid in ("a", "b"):
        await speaker.put(iid, f"Sentence one of {iid}.")
        await speaker.put(iid, f"Sentence two of {iid}.")
    await speaker.close("b")
    await speaker.close("a")
    await asyncio.gather(speaker(speech_task("a")), speaker(speech_task("b")))
    spans = [(p.start, p.end) for p in out.played]
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1))
    assert out.opened == 2


async def test_on_speaking_brackets_playback() -> None:
    calls: list[bool] = []
    speaker, _ = make(on_speaking=calls.append)
    await speaker.speak("a", "Hi. Bye.")
    assert calls == [True, False] and speaker.speaking is False


async def test_a_failing_on_speaking_callback_does_not_break_speech() -> None:
    def broken(_: bool) -> None:
        raise RuntimeError("gate crashed")

    speaker, _ = make(on_speaking=broken)
    assert (await speaker.speak("a", "Still talking."))["sentences"] == 1


async def test_stop_interrupts_mid_sentence_and_drops_the_rest() -> None:
    started = asyncio.Event()
    speaker, out = make(
        ToneVoice(seconds_per_char=0.2), on_speaking=lambda on: started.set() if on else None
    )
    await speaker.put("a", "A very long sentence.")
    await speaker.put("a", "Never said.")
    await asyncio.wait_for(started.wait(), 5)
    assert await speaker.stop("a") is True
    await speaker.put("a", "Arrives after the barge-in.")  # the reply is still streaming
    result = await speaker(speech_task("a"))
    assert result["interrupted"] is True
    assert result["spoken"] == "A very long sentence."
    assert result["stop_latency_s"] is not None and result["stop_latency_s"] < 0.1
    assert out.played[-1].interrupted and len(out.played) == 1


async def test_cancelling_the_speech_task_stops_playback() -> None:
    started = asyncio.Event()
    calls: list[bool] = []

    def on_speaking(on: bool) -> None:
        calls.append(on)
        started.set()

    speaker, out = make(ToneVoice(seconds_per_char=0.2), on_speaking=on_speaking)
    job = asyncio.create_task(speaker(speech_task("a", reply="This would take ages to say.")))
    await asyncio.wait_for(started.wait(), 5)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    assert out.played[-1].interrupted and calls == [True, False]
    assert out.played[-1].seconds < 1.0


async def test_a_cancelled_reply_stops_its_streamed_speech() -> None:
    started = asyncio.Event()
    speaker, out = make(
        ToneVoice(seconds_per_char=0.2), on_speaking=lambda on: started.set() if on else None
    )
    await speaker.put("a", "A very long sentence.")
    await asyncio.wait_for(started.wait(), 5)
    await speaker.close("a", asyncio.CancelledError())
    assert out.played[-1].interrupted and speaker.speaking is False


async def test_a_failed_reply_still_says_what_was_streamed() -> None:
    speaker, _ = make()
    await speaker.put("a", "Half a reply.")
    await speaker.close("a", RuntimeError("the API went away"))
    assert (await speaker(speech_task("a")))["spoken"] == "Half a reply."


async def test_stop_of_a_waiting_interaction_keeps_it_silent() -> None:
    started = asyncio.Event()
    speaker, out = make(
        ToneVoice(seconds_per_char=0.02), on_speaking=lambda on: started.set() if on else None
    )
    await speaker.put("a", "The first child is talking now.")
    await speaker.put("b", "Waiting for my turn.")
    await asyncio.wait_for(started.wait(), 5)
    assert await speaker.stop("b") is True
    await speaker.stop("a")
    assert (await speaker(speech_task("b")))["spoken"] == ""
    assert len(out.played) == 1


async def test_not_streamed_speaks_the_reply_of_the_ai_response_dependency() -> None:
    speaker, _ = make()
    result = await speaker(speech_task("x", reply="You are brave. I am proud of you!"))
    assert result["spoken"] == "You are brave. I am proud of you!"
    assert result["streamed"] is False and result["sentences"] == 2


async def test_payload_text_is_spoken_without_a_reply_dependency() -> None:
    speaker, _ = make()
    assert (await speaker(speech_task("x", text="Hello!")))["spoken"] == "Hello!"


async def test_empty_reply_says_nothing_and_succeeds() -> None:
    speaker, out = make()
    result = await speaker(speech_task("x", reply="  "))
    assert result["spoken"] == "" and result["audio_s"] == 0 and out.opened == 0


async def test_streamed_nothing_falls_back_to_the_final_reply() -> None:
    speaker, _ = make()
    await speaker.close("x", RuntimeError("stream broke before the first sentence"))
    result = await speaker(speech_task("x", reply="I'm here with you."))
    assert result["spoken"] == "I'm here with you."


async def test_markdown_and_emoji_are_not_read_aloud() -> None:
    voice = ToneVoice()
    speaker, _ = make(voice)
    await speaker.speak("x", "**Wow!** 🐻 Let's play. 🎉")
    assert [text for text, _ in voice.calls] == ["Wow!", "Let's play."]


async def test_no_output_device_fails_that_task_only() -> None:
    speaker, _ = make(output=FakeOutput(fail_times=1))
    with pytest.raises(OutputUnavailable, match="usb-bear"):
        await speaker(speech_task("a", reply="Hello."))
    assert (await speaker(speech_task("b", reply="Hello again.")))["sentences"] == 1


async def test_backend_that_cannot_load_falls_back_to_the_next() -> None:
    speaker, _ = make(ToneVoice(name="hibari", fail_load=True), ToneVoice(name="espeak-ng"))
    result = await speaker.speak("a", "Hi.")
    assert result["backend"] == "espeak-ng"
    assert "hibari" in speaker.chain.failures


async def test_backend_failing_on_a_sentence_hands_it_to_the_next() -> None:
    speaker, _ = make(ToneVoice(name="hibari", fail_on="zebra"), ToneVoice(name="espeak-ng"))
    result = await speaker.speak("a", "Hello. A zebra!")
    assert result["backends"] == ["espeak-ng", "hibari"] and result["sentences"] == 2


async def test_sentence_no_backend_can_say_is_skipped_and_reported() -> None:
    speaker, _ = make(ToneVoice(fail_on="zebra"))
    result = await speaker.speak("a", "Hello. A zebra!")
    assert result["spoken"] == "Hello." and "zebra" in result["errors"][0]
    with pytest.raises(TtsError):
        await speaker.speak("b", "Zebra zebra.")


def test_a_speaker_can_be_reused_under_a_new_event_loop() -> None:
    speaker, out = make()
    for _ in range(2):  # as `teddy chat` would: one asyncio.run per utterance
        asyncio.run(speaker.speak("a", "Hello."))
    assert len(out.played) == 2


async def test_status_names_the_backend_failures_and_output() -> None:
    speaker, _ = make(ToneVoice(name="hibari", fail_load=True), ToneVoice(name="espeak-ng"))
    assert await speaker.load() == "espeak-ng"
    status = speaker.status()
    assert status["backend"] == "espeak-ng" and "hibari" in status["backend_failures"]
    assert status["output_device"] == "0: fake" and status["speaking"] is False


def test_portaudio_starts_when_the_speaker_loads_not_at_the_first_reply() -> None:
    # a fresh interpreter: this test process has imported sounddevice long ago
    import subprocess
    import sys

    code = (
        "import asyncio, sys\n"
        "from processors.speech.stage import Speaker\n"
        "speaker = Speaker(backend='espeak-ng')\n"
        "assert 'sounddevice' not in sys.modules\n"
        "asyncio.run(speaker.load())\n"
        "print('sounddevice' in sys.modules)\n"
    )
    env = {"PULSE_SERVER": "unix:/nonexistent/pulse", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
