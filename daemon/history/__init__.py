"""The interaction history: a private SQLite file (WAL) written stage by stage.

store = await HistoryStore.open(resolve_history_path(config.history.path),
                                store_audio=config.history.store_audio)
sink = PipelineHistory(store)          # what daemon.interaction.pipeline.Pipeline writes to
"""

from daemon.history.db import (
    SCHEMA_VERSION,
    HistoryDbError,
    default_history_path,
    resolve_history_path,
)
from daemon.history.sink import HistoryWriter, PipelineHistory
from daemon.history.store import PROGRESS, STATUSES, TERMINAL, HistoryStore, utc_iso
from daemon.history.upkeep import ConversationContext, purge_periodically

__all__ = [
    "PROGRESS",
    "SCHEMA_VERSION",
    "STATUSES",
    "TERMINAL",
    "ConversationContext",
    "HistoryDbError",
    "HistoryStore",
    "HistoryWriter",
    "PipelineHistory",
    "default_history_path",
    "purge_periodically",
    "resolve_history_path",
    "utc_iso",
]
