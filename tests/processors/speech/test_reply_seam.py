"""The seam with the response stage: its sentences stream into the Speaker (the SentenceSink),
and the speech task that depends on the reply waits for that playback instead of re-speaking."""

from __future__ import annotations

from typing import Any

from processors import ProcessingTask, ProcessingType, TaskStatus, create_processor
from processors.reply.stage import Responder
from processors.speech.stage import Speaker
from processors.speech.tts.chain import TtsChain
from tests.processors.speech.doubles import FakeOutput, ToneVoice


async def test_offline_reply_streams_into_the_speaker_and_speech_waits_for_it() -> None:
    out = FakeOutput()
    speaker = Speaker(chain=TtsChain([ToneVoice]), output=out)
    responder = Responder(api_key=None, sentence_sink=speaker)
    processor = await create_processor(max_workers=2)
    try:
        processor.register_processor(ProcessingType.AI_RESPONSE, responder)
        processor.register_processor("speech", speaker)
        payload: dict[str, Any] = {"interaction_id": "i1", "text": "Hello teddy!"}
        reply = ProcessingTask(ProcessingType.AI_RESPONSE, payload)
        speech = ProcessingTask(
            "speech",
            {"interaction_id": "i1"},
            depends_on=[reply.id],
        )
        await processor.submit_tasks([reply, speech])
        said = await processor.wait_for_task(speech.id, timeout=20)
        replied = await processor.wait_for_task(reply.id, timeout=1)
    finally:
        await processor.shutdown(timeout=5)
    assert said.status is TaskStatus.COMPLETED, said.error
    assert replied.result["offline"] is True and replied.result["reply"]
    assert said.result["streamed"] is True
    assert said.result["spoken"] == replied.result["reply"]
    assert len(out.played) == len(replied.result["sentences"])  # spoken once, not twice
