"""The alert stage end to end: a job graph on the real processor, a local webhook receiver,
the result the daemon writes to the history, dedup and rate limiting across interactions."""

from __future__ import annotations

from typing import Any

import pytest

from processors import ProcessingTask, ProcessingType, TaskStatus, create_processor
from processors.alerts.channels import Delivery, verify
from processors.alerts.channels.webhook import SIGNATURE_HEADER
from processors.alerts.stage import AlertStage
from tests.processors.alerts.receiver import webhook_receiver


def config(url: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "webhook_url": url,
        "webhook_secret": "parent-secret",
        "webhook_backoff_s": 0.01,
        "desktop": False,
        "repeat_count": 0,
    }
    return base | extra


async def run_interaction(
    stage: AlertStage, text: str, emotion: dict[str, Any], reply: dict[str, Any]
) -> Any:
    """transcription → emotion → reply → alert, as the daemon's graph wires them."""
    processor = await create_processor(max_workers=2)
    try:
        processor.register_processor(ProcessingType.AUDIO_TRANSCRIPTION, lambda t: {"text": text})
        processor.register_processor(ProcessingType.EMOTION_ANALYSIS, lambda t: emotion)
        processor.register_processor(ProcessingType.AI_RESPONSE, lambda t: reply)
        processor.register_processor(ProcessingType.NOTIFICATION, stage)
        stt = ProcessingTask(ProcessingType.AUDIO_TRANSCRIPTION, {"interaction_id": "i1"})
        emo = ProcessingTask(ProcessingType.EMOTION_ANALYSIS, {}, depends_on=[stt.id])
        rep = ProcessingTask(ProcessingType.AI_RESPONSE, {}, depends_on=[stt.id, emo.id])
        alert = ProcessingTask(
            ProcessingType.NOTIFICATION,
            {"interaction_id": "i1"},
            depends_on=[stt.id, emo.id, rep.id],
        )
        await processor.submit_tasks([stt, emo, rep, alert])
        return await processor.wait_for_task(alert.id, timeout=20)
    finally:
        await processor.shutdown(timeout=5)


FEAR = {"primary": "fear", "scores": {"fear": 0.85, "neutral": 0.15}}
CALM = {"primary": "joy", "scores": {"joy": 0.8, "fear": 0.05}}
HURT = {
    "reply": "I'm so glad you told me. Let's find a grown-up you trust.",
    "input_safety_hits": [
        {"rule": "hurt_by_person", "category": "abuse_disclosure", "text": "someone hurt me"}
    ],
}


async def test_fear_alert_reaches_the_webhook_signed_and_is_in_the_result() -> None:
    async with webhook_receiver() as rx:
        stage = AlertStage.from_config(config(rx.url))
        result = await run_interaction(stage, "I'm scared of the monster", FEAR, {"reply": "Hi."})
    assert result.status is TaskStatus.COMPLETED, result.error
    [alert] = result.result["alerts"]
    assert alert["rule"] == "emotion:fear"
    assert alert["channels"] == ["history", "webhook"]
    [request] = rx.requests
    assert verify("parent-secret", request.body, request.headers[SIGNATURE_HEADER])
    sent = request.json
    assert sent["interaction_id"] == "i1" and sent["alerts"][0]["rule"] == "emotion:fear"
    assert "scared of the monster" in sent["alerts"][0]["message"]


async def test_unsafe_child_input_from_the_reply_stage_alerts_urgently() -> None:
    async with webhook_receiver() as rx:
        stage = AlertStage.from_config(config(rx.url, keywords=[]))
        result = await run_interaction(stage, "someone hurt me", CALM, HURT)
    [alert] = result.result["alerts"]
    assert (alert["rule"], alert["severity"]) == ("input_safety:abuse_disclosure", "urgent")
    assert len(rx.requests) == 1


async def test_nothing_to_report_sends_nothing() -> None:
    async with webhook_receiver() as rx:
        stage = AlertStage.from_config(config(rx.url))
        result = await run_interaction(stage, "I like trucks", CALM, {"reply": "Me too!"})
    assert result.result == {"alerts": [], "suppressed": [], "deliveries": []}
    assert rx.requests == []


async def test_duplicates_are_suppressed_and_rate_limit_applies() -> None:
    async with webhook_receiver() as rx:
        stage = AlertStage.from_config(config(rx.url, max_alerts=2, keywords=["help me"]))

        class Task:
            id = "t"
            payload: dict[str, Any]

            def __init__(self, text: str, emotion: dict[str, Any]) -> None:
                self.payload = {"interaction_id": "i", "text": text}
                self.payload["emotion"] = emotion

        first = await stage(Task("help me", FEAR))  # two alerts: fear + keyword
        again = await stage(Task("help me", FEAR))  # both duplicates
        sad = {"primary": "sadness", "scores": {"sadness": 0.9}}
        third = await stage(Task("oh no", sad))  # new rule, but over the rate limit
    assert [a["rule"] for a in first["alerts"]] == ["emotion:fear", "keyword:help me"]
    assert again["alerts"] == [] and {s["reason"] for s in again["suppressed"]} == {"duplicate"}
    assert third["suppressed"] == [{"rule": "emotion:sadness", "reason": "rate_limited"}]
    assert len(rx.requests) == 1  # one POST carried both alerts of the first interaction


async def test_failing_webhook_keeps_the_alert_for_the_history() -> None:
    async with webhook_receiver() as rx:
        rx.statuses = [500] * 10
        stage = AlertStage.from_config(config(rx.url, webhook_max_attempts=2))
        result = await stage(_task("I'm scared", FEAR))
    [alert] = result["alerts"]
    assert alert["channels"] == ["history"]
    assert result["deliveries"] == [
        Delivery("webhook", False, attempts=2, error="HTTP 500").to_dict()
    ]


async def test_a_raising_channel_never_fails_the_task() -> None:
    class Broken:
        name = "broken"

        async def send(self, event: dict[str, Any]) -> Delivery:
            raise RuntimeError("boom")

    stage = AlertStage(channels=[Broken()])
    result = await stage(_task("I'm scared", FEAR))
    assert result["alerts"][0]["channels"] == ["history"]
    assert result["deliveries"][0]["ok"] is False and "boom" in result["deliveries"][0]["error"]


def test_unknown_config_key_is_rejected_naming_it() -> None:
    with pytest.raises(ValueError, match="webhook_ulr"):
        AlertStage.from_config({"webhook_ulr": "http://127.0.0.1/x"})


def test_secret_can_come_from_a_file(tmp_path: Any) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    stage = AlertStage.from_config(
        {"webhook_url": "http://127.0.0.1:1/x", "webhook_secret_file": str(secret)}
    )
    assert stage.channels[0].secret == "from-file"  # type: ignore[attr-defined]


def _task(text: str, emotion: dict[str, Any]) -> Any:
    task = ProcessingTask(ProcessingType.NOTIFICATION, {"text": text})
    task.payload["emotion"] = emotion
    task.payload["interaction_id"] = "i9"
    return task


def test_the_daemon_config_section_builds_the_stage() -> None:
    from daemon.config.alerts import AlertsConfig

    section = AlertsConfig(webhook_url="http://127.0.0.1:9/hook", webhook_secret="k")
    stage = AlertStage.from_config(section.model_dump())
    assert [c.name for c in stage.channels] == ["webhook", "desktop"]
    assert stage.rules.safety_categories and "self_harm" in stage.rules.safety_categories
