"""The typed results of the built-in stages: what each step hands its dependents and the daemon.

One module for all of them because they are the contract *between* stages (the reply reads the
transcript and the emotion; alerts read all three) and between the stages and the daemon, and a
stage must not import another stage to read its result.

Each result is a frozen dataclass: code reads fields, not string keys. ``to_dict()`` gives plain
JSON. Each also reads as a read-only mapping (``result["text"]``, ``result.get("reply")``), so the
guide's dict-style readers and plug-ins written against the earlier dict results keep working.
``Kind.of(value)`` accepts the typed result or a plain mapping (a plug-in that replaces a stage may
return a dict) and gives the typed result, or None for anything else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, Final, Self

__all__ = [
    "EMOTIONS",
    "AlertsRaised",
    "EmotionReading",
    "ProfileFact",
    "ProfileUpdate",
    "RaisedAlert",
    "Reply",
    "Spoken",
    "StageResult",
    "Transcription",
]


#: the nine classes of ``EmotionReading.scores`` (and of the parent's alert rules)
EMOTIONS: Final = (
    "joy",
    "sadness",
    "fear",
    "anger",
    "surprise",
    "disgust",
    "trust",
    "anticipation",
    "neutral",
)


class StageResult(Mapping[str, Any]):
    """Mapping view and conversions shared by the result dataclasses below."""

    __slots__ = ()

    @classmethod
    def of(cls, value: object) -> Self | None:
        """``value`` as this result type: itself, built from a mapping's known keys, or None."""
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            names = _field_names(cls)
            return cls(**{k: v for k, v in value.items() if k in names})
        return None

    def to_dict(self) -> dict[str, Any]:
        return {name: _plain(getattr(self, name)) for name in _field_names(type(self))}

    # -- read-only mapping over the fields ------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        if key not in _field_names(type(self)):
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(_field_names(type(self)))

    def __len__(self) -> int:
        return len(_field_names(type(self)))


def _field_names(cls: type) -> tuple[str, ...]:
    names: tuple[str, ...] | None = cls.__dict__.get("_names")
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls))
        cls._names = names  # type: ignore[attr-defined]
    return names


def _plain(value: Any) -> Any:
    if isinstance(value, StageResult):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


# Each result below is ``@dataclass(frozen=True, slots=True, eq=False)``; eq=False keeps Mapping's
# equality (by field values), so a result also equals the dict it reads as.


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class Transcription(StageResult):
    """AUDIO_TRANSCRIPTION: what the child said."""

    text: str = ""
    segments: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    language: str | None = None
    duration_s: float = 0.0
    processing_s: float = 0.0
    backend: str = ""
    model: str = ""
    #: share of the clip the VAD called speech (the hallucination guard's input)
    speech_ratio: float | None = None


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class EmotionReading(StageResult):
    """EMOTION_ANALYSIS: the child's feeling, from the words and/or the voice."""

    primary: str = "neutral"
    scores: dict[str, float] = dataclasses.field(default_factory=dict)
    valence: float = 0.0
    arousal: float = 0.0
    evidence: list[str] = dataclasses.field(default_factory=list)
    #: acoustic cues against the child's own baseline (None without usable audio)
    audio: dict[str, Any] | None = None
    text: str | None = None
    sentiment: dict[str, float] | None = None
    #: "text", "audio" or "text+audio": what the reading rests on
    mode: str = "text"
    speaker_id: str = "default"
    processing_s: float = 0.0


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class Reply(StageResult):
    """AI_RESPONSE: what the bear answers (already through the child-safety filter)."""

    reply: str = ""
    sentences: list[str] = dataclasses.field(default_factory=list)
    offline: bool = False
    #: why the offline responder answered (no_api_key, unauthorized, timeout, ...), else None
    offline_reason: str | None = None
    #: Claude started, then failed: the offline responder finished the reply
    partial: bool = False
    model: str = ""
    emotion: str | None = None
    safety_hits: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    input_safety_hits: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #: seconds from the stage's start to Claude's first token (None offline)
    first_token_s: float | None = None
    llm_s: float = 0.0
    interaction_id: str | None = None
    #: sentences went to the speaker while the reply streamed
    streamed: bool = False


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class Spoken(StageResult):
    """SPEECH: what the bear said aloud, and when the child first heard it."""

    spoken: str = ""
    audio_s: float = 0.0
    first_audio_s: float | None = None
    #: monotonic time of the first audio block handed to the output device
    first_audio_at: float | None = None
    backend: str | None = None
    backends: list[str] = dataclasses.field(default_factory=list)
    interrupted: bool = False
    #: share of the reply's text the child heard before a barge-in (None: not interrupted)
    heard_fraction: float | None = None
    stop_latency_s: float | None = None
    sentences: int = 0
    synth_s: float = 0.0
    streamed: bool = False
    errors: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class RaisedAlert(StageResult):
    """One parent alert: which rule, how serious, what it says, where it went."""

    rule: str = ""
    severity: str = ""
    message: str = ""
    channels: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class AlertsRaised(StageResult):
    """NOTIFICATION (parent alerts): the alerts raised, those rate-limited, the deliveries."""

    alerts: list[RaisedAlert] = dataclasses.field(default_factory=list)
    suppressed: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    deliveries: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        # a plain mapping's alerts arrive as dicts: type them here, once
        typed = [RaisedAlert.of(a) for a in self.alerts]
        object.__setattr__(self, "alerts", [a for a in typed if a is not None])


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class ProfileFact(StageResult):
    """One thing the child told the bear about themselves (``kind``: name, age, pet, friend,
    likes, fear, event, family; ``subject`` e.g. the pet's species; ``value`` e.g. its name)."""

    kind: str = ""
    subject: str = ""
    value: str = ""


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class ProfileUpdate(StageResult):
    """PROFILE_UPDATE: the facts proposed from one utterance (the daemon's history stores them)
    and what proposed them (``patterns`` offline, ``llm`` by a Claude tool call)."""

    facts: list[ProfileFact] = dataclasses.field(default_factory=list)
    source: str = "patterns"
    #: proposals dropped as unsafe to keep (addresses, numbers...), by reason only
    refused: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        typed = [ProfileFact.of(f) for f in self.facts]
        object.__setattr__(self, "facts", [f for f in typed if f is not None])
