"""teddy's configuration: pydantic models for every section of teddy.toml, file resolution,
``TEDDY_<SECTION>__<KEY>`` overrides, one clear error for bad input, and SIGHUP reload planning.

    config = load_config(args.config)          # raises ConfigError
    config.health.port, config.stt.backend, config.pipeline.plugin_steps()
"""

from daemon.config.alerts import EMOTIONS, AlertsConfig
from daemon.config.loader import (
    BUILTIN,
    DEFAULT_SEARCH,
    ConfigError,
    env_overrides,
    find_config_file,
    load_config,
    load_config_with_source,
    parse_env_value,
    validate_config,
)
from daemon.config.model import TeddyConfig
from daemon.config.pipeline import PipelineConfig, PipelineStepConfig, StageTimeoutsConfig
from daemon.config.reload import LIVE_KEYS, ReloadPlan, plan_reload, reload_config
from daemon.config.sections import (
    AudioConfig,
    ChildConfig,
    EmotionConfig,
    HealthConfig,
    HistoryConfig,
    LlmConfig,
    LoggingConfig,
    ProcessorConfig,
    SttConfig,
    TtsConfig,
    VadConfig,
    is_loopback,
)

__all__ = [
    "BUILTIN",
    "DEFAULT_SEARCH",
    "EMOTIONS",
    "LIVE_KEYS",
    "AlertsConfig",
    "AudioConfig",
    "ChildConfig",
    "ConfigError",
    "EmotionConfig",
    "HealthConfig",
    "HistoryConfig",
    "LlmConfig",
    "LoggingConfig",
    "PipelineConfig",
    "PipelineStepConfig",
    "ProcessorConfig",
    "ReloadPlan",
    "StageTimeoutsConfig",
    "SttConfig",
    "TeddyConfig",
    "TtsConfig",
    "VadConfig",
    "env_overrides",
    "find_config_file",
    "is_loopback",
    "load_config",
    "load_config_with_source",
    "parse_env_value",
    "plan_reload",
    "reload_config",
    "validate_config",
]
