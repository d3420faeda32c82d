"""Config sections for the child, logging, listening, understanding, replying, history, health and
the job processor. Field names are what teddy.toml and ``TEDDY_<SECTION>__<KEY>`` use.

Defaults suit a small child and a 2-core board: patient endpointing, a slow friendly voice, short
replies, a local-only health endpoint, no audio kept on disk.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, PlainValidator, model_validator

from daemon.config.base import Device, OptPath, OptStr, Section

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


class ChildConfig(Section):
    name: str = Field(
        default="", description="the child's first name for the bear to use ('' = none)"
    )
    age: int = Field(default=5, ge=2, le=12, description="age in years; shapes the reply style")


class LoggingConfig(Section):
    level: Annotated[LogLevel, BeforeValidator(_upper)] = Field(
        default="INFO", description="log level (live on SIGHUP)"
    )
    format: Literal["text", "json"] = Field(default="text", description="log line format")


class AudioConfig(Section):
    input_device: Device = Field(
        default=None, description="microphone: index or name substring ('' = system default)"
    )
    output_device: Device = Field(
        default=None, description="speaker: index or name substring ('' = system default)"
    )
    max_utterance_s: float = Field(
        default=20.0, gt=0, le=120, description="an utterance longer than this is cut"
    )
    buffer_s: float = Field(default=5.0, gt=0, le=60, description="capture ring buffer length")
    retry_max_s: float = Field(
        default=1.0, gt=0, le=60, description="longest wait between device reopen attempts"
    )
    latency: Literal["low", "high"] = Field(
        default="high", description="PortAudio input latency ('low' underruns under CPU load)"
    )
    playback_block_ms: int = Field(
        default=20, ge=5, le=50, description="playback block; bounds how fast speech can be stopped"
    )
    barge_in: bool = Field(
        default=True,
        description="keep listening while the bear speaks so the child can interrupt it "
        "(false = half-duplex: the microphone is ignored while the bear speaks; for hardware "
        "whose echo cannot be cancelled)",
    )


class VadConfig(Section):
    backend: Literal["auto", "silero", "energy"] = Field(
        default="auto", description="voice-activity detector ('auto' = Silero, energy as fallback)"
    )
    threshold: float = Field(
        default=0.5, gt=0, lt=1, description="speech probability that starts speech"
    )
    silence_ms: int = Field(
        default=400, ge=100, le=5000, description="silence that ends an utterance"
    )
    pre_roll_ms: int = Field(
        default=300, ge=0, le=2000, description="audio kept before the onset so no word is clipped"
    )
    min_speech_ms: int = Field(
        default=250, ge=0, le=5000, description="shorter sounds (clicks, coughs) are dropped"
    )
    echo_tail_ms: int = Field(
        default=300,
        ge=0,
        le=5000,
        description="detector stays gated this long after the bear stops",
    )
    pause_ms: int = Field(
        default=180,
        ge=0,
        le=5000,
        description="silence after which a speculative transcription starts (0 = never; "
        "must be shorter than silence_ms)",
    )
    early_silence_ms: int = Field(
        default=220,
        ge=0,
        le=5000,
        description="silence that ends an utterance whose transcript at the pause is a complete "
        "sentence (semantic end-of-turn; 0 = off; needs pause_ms and stt.speculative)",
    )
    unfinished_silence_ms: int = Field(
        default=700,
        ge=0,
        le=10000,
        description="silence that ends an utterance whose transcript at the pause clearly "
        "needs more ('I want a ...'; never shorter than silence_ms)",
    )


def _encoder_window(value: object) -> Literal["auto"] | float:
    """One clear message instead of one per union branch."""
    if value == "auto":
        return "auto"
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 30:
        return float(value)
    raise ValueError('must be "auto" or seconds from 0 to 30 (0 = the full 30 s window)')


def check_wyoming_uri(key: str, uri: str | None, *, required: bool) -> None:
    """tcp://HOST:PORT or unix://PATH, the two transports Wyoming servers listen on."""
    if uri is None:
        if required:
            raise ValueError(
                f"{key} is not set: backend wyoming needs tcp://HOST:PORT or unix://PATH"
            )
        return
    if uri.startswith("unix://") and len(uri) > len("unix://"):
        return
    if uri.startswith("tcp://"):
        host, _, port = uri[len("tcp://") :].rpartition(":")
        if host and port.isdigit() and 0 < int(port) < 65536:
            return
    raise ValueError(f"{key} = {uri!r}: write tcp://HOST:PORT or unix://PATH")


class SttConfig(Section):
    backend: Literal["faster-whisper", "openai-whisper", "wyoming"] = Field(
        default="faster-whisper", description="speech-to-text engine"
    )
    uri: OptStr = Field(
        default=None,
        description="Wyoming speech-to-text server (tcp://HOST:PORT or unix://PATH), "
        "for backend wyoming",
    )
    model: str = Field(
        default="tiny.en",
        min_length=1,
        description="model name ('tiny.en', 'base') or a model directory",
    )
    compute_type: str = Field(default="int8", min_length=1, description="CTranslate2 compute type")
    cpu_threads: int = Field(default=2, ge=1, le=64, description="threads for decoding")
    beam_size: int = Field(default=5, ge=1, le=20, description="beam search width")
    encoder_window_s: Annotated[Literal["auto"] | float, PlainValidator(_encoder_window)] = Field(
        default="auto",
        description="faster-whisper encoder window in seconds ('auto' = the full 30 s window "
        "for every model; 0 = always 30; 10 = faster on weak boards, less accurate for children)",
    )
    speculative: bool = Field(
        default=True,
        description="start transcribing at the first short pause (vad.pause_ms) and reuse the "
        "result when the utterance ends there",
    )
    language: OptStr = Field(default="en", description="spoken language ('' = detect)")
    hotwords: str = Field(
        default="Teddy.",
        max_length=200,
        description="text the local decoder is prompted with, so the bear's name is heard as "
        "itself ('' = none)",
    )
    cache_dir: OptPath = Field(
        default=None, description="where assembled models live ('' = default)"
    )
    no_speech_threshold: float = Field(
        default=0.6, ge=0, le=1, description="hallucination guard: Whisper's no-speech probability"
    )
    logprob_threshold: float = Field(
        default=-1.0, le=0, description="hallucination guard: average log-probability floor"
    )
    compression_ratio_threshold: float = Field(
        default=2.4, gt=0, description="hallucination guard: repetition-loop detector"
    )
    min_speech_ratio: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="hallucination guard: share of the clip the VAD calls speech",
    )

    @model_validator(mode="after")
    def _wyoming(self) -> SttConfig:
        check_wyoming_uri("stt.uri", self.uri, required=self.backend == "wyoming")
        return self


class EmotionConfig(Section):
    prototypes_path: OptPath = Field(
        default=None, description="JSON of example phrases per emotion ('' = the packaged set)"
    )
    neutral_band: float = Field(
        default=0.05, ge=0, le=1, description="sentiment closer to 0 than this counts as neutral"
    )
    baseline_horizon: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="utterances in the child's running voice baseline (pitch, energy, rate)",
    )


class LlmConfig(Section):
    model: str = Field(default="claude-haiku-4-5", min_length=1, description="Claude model")
    base_url: OptStr = Field(default=None, description="Messages API URL ('' = Anthropic's)")
    api_key_file: OptPath = Field(
        default=None, description="file holding the API key ('' = only $ANTHROPIC_API_KEY)"
    )
    timeout_s: float = Field(
        default=8.0, gt=0, le=120, description="deadline for a whole reply; then the offline reply"
    )
    max_tokens: int = Field(default=300, ge=16, le=4096, description="reply length limit")
    max_retries: int = Field(default=2, ge=0, le=10, description="SDK retries on 429/5xx/529")
    max_retry_after_s: float = Field(
        default=2.0, ge=0, le=60, description="longest retry-after the bear will wait"
    )
    session_timeout_s: float = Field(
        default=300.0, gt=0, description="a pause longer than this starts a new conversation"
    )
    history_turns: int = Field(default=6, ge=0, le=50, description="earlier turns sent as context")
    system_prompt: str = Field(
        default="", description="replaces the built-in child-safe prompt ('' = built-in)"
    )

    @model_validator(mode="after")
    def _url(self) -> LlmConfig:
        if self.base_url is not None and not self.base_url.startswith(("http://", "https://")):
            raise ValueError(
                f"llm.base_url = {self.base_url!r}: must start with http:// or https://"
            )
        return self


class TtsConfig(Section):
    backend: Literal["hibari", "piper", "espeak-ng", "wyoming"] = Field(
        default="hibari", description="voice engine"
    )
    uri: OptStr = Field(
        default=None,
        description="Wyoming text-to-speech server (tcp://HOST:PORT or unix://PATH), "
        "for backend wyoming",
    )
    fallback: bool = Field(
        default=True, description="try the other engines if this one cannot load"
    )
    voice: OptStr = Field(
        default=None,
        description="hibari/espeak-ng voice name, Piper .onnx path, Wyoming server voice "
        "('' = the bundled voice; for wyoming: the server's own)",
    )
    rate: float = Field(
        default=0.85,
        ge=0.5,
        le=1.5,
        description="speaking rate (1.0 = adult pace; 0.85 suits children)",
    )
    target_dbfs: float = Field(
        default=-20.0, ge=-60, le=0, description="loudness of spoken replies"
    )

    @model_validator(mode="after")
    def _wyoming(self) -> TtsConfig:
        check_wyoming_uri("tts.uri", self.uri, required=self.backend == "wyoming")
        return self


class WyomingConfig(Section):
    listen: OptStr = Field(
        default=None,
        description="serve teddy's conversation pipeline to Home Assistant over Wyoming here "
        "(tcp://HOST:PORT or unix://PATH; '' = off)",
    )

    @model_validator(mode="after")
    def _listen(self) -> WyomingConfig:
        check_wyoming_uri("wyoming.listen", self.listen, required=False)
        return self


class HistoryConfig(Section):
    path: OptPath = Field(
        default=None, description="SQLite file ('' = $STATE_DIRECTORY or ~/.local/state/teddy)"
    )
    retention_days: int = Field(
        default=30, ge=0, le=3650, description="older interactions are purged (0 = keep forever)"
    )
    store_audio: bool = Field(
        default=False,
        description="keep the child's recorded audio (FLAC) after an interaction is final",
    )
    resume_max_age_s: float = Field(
        default=300.0,
        ge=0,
        le=86_400,
        description="unfinished utterances older than this at start are marked expired, "
        "not answered",
    )
    purge_interval_h: float = Field(default=24.0, gt=0, description="how often old rows are purged")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


#: a shorter Bearer token can be guessed over the network
MIN_TOKEN_CHARS = 16


class HealthConfig(Section):
    host: str = Field(default="127.0.0.1", min_length=1, description="bind address")
    port: int = Field(default=8765, ge=0, le=65535, description="TCP port (0 = any free port)")
    token: OptStr = Field(default=None, description="Bearer token; required off loopback")
    max_queue_depth: int = Field(default=1000, ge=1, description="more queued tasks = degraded")
    min_success_rate: float = Field(
        default=95.0, ge=0, le=100, description="lower task success rate (%) = degraded"
    )
    loop_lag_degraded_s: float = Field(default=0.25, gt=0, description="event-loop lag = degraded")
    loop_lag_unhealthy_s: float = Field(default=2.0, gt=0, description="event-loop lag = unhealthy")

    @model_validator(mode="after")
    def _exposure(self) -> HealthConfig:
        if self.token is not None and len(self.token) < MIN_TOKEN_CHARS:
            raise ValueError(
                f"health.token is {len(self.token)} characters long: use at least "
                f"{MIN_TOKEN_CHARS} (e.g. the output of `openssl rand -hex 16`)"
            )
        if not is_loopback(self.host) and self.token is None:
            raise ValueError(
                f"health.host = {self.host!r} is not a loopback address: set health.token too "
                "(clients then send 'Authorization: Bearer <token>')"
            )
        if self.loop_lag_unhealthy_s < self.loop_lag_degraded_s:
            raise ValueError(
                f"health.loop_lag_unhealthy_s = {self.loop_lag_unhealthy_s}: "
                "must be >= health.loop_lag_degraded_s"
            )
        return self


class ProcessorConfig(Section):
    max_workers: int = Field(default=4, ge=1, le=256, description="tasks running at once")
    max_thread_workers: int = Field(default=4, ge=1, le=64, description="threads for blocking work")
    max_process_workers: int = Field(default=1, ge=1, le=64, description="processes for CPU work")
    queue_size: int = Field(default=1000, ge=0, description="pending task limit (0 = unbounded)")
    on_queue_full: Literal["raise", "wait"] = Field(
        default="wait", description="what a submit does on a full queue (wait, like a queue's put)"
    )
    reserved_workers: int = Field(
        default=1,
        ge=0,
        le=255,
        description="workers LOW/BATCH tasks never take, so CRITICAL/HIGH start at once",
    )
    orphan_after_s: float = Field(
        default=30.0,
        ge=0,
        description="a task still waiting for a dependency never submitted shows in health",
    )
    enable_monitoring: bool = Field(default=True, description="collect performance metrics")
    enable_profiling: bool = Field(default=False, description="record per-task memory peaks")
    concurrency_limits: dict[str, Annotated[int, Field(ge=1)]] = Field(
        default_factory=lambda: {"audio_transcription": 1},
        description="task type -> max running at once",
    )
    shutdown_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="grace for in-flight interactions on SIGTERM"
    )
