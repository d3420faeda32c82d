"""teddy's job processor engine: priorities, dependencies, cancellation, execution contexts.

Its public API (re-exported by ``processors``). Nothing here imports anything outside
``processors.engine``.
"""

from processors.engine.enums import ProcessingType, TaskPriority, TaskStatus
from processors.engine.errors import (
    DependencyCycle,
    InvalidTask,
    NoProcessorRegistered,
    NotPicklable,
    PermissionDenied,
    ProcessorError,
    ProcessorShutDown,
    ProcessPoolCrashed,
    QueueFull,
    SnapshotError,
    TaskNotFound,
    UnknownDependency,
)
from processors.engine.graph import TaskManager
from processors.engine.processor import AdvancedAsyncProcessor, create_processor
from processors.engine.registry import BUILTIN_DISTRIBUTION, ENTRY_POINT_GROUP, ProcessorRegistry
from processors.engine.retry import RetryPolicy
from processors.engine.task import ProcessingTask, TaskResult, create_task

__all__ = [
    "BUILTIN_DISTRIBUTION",
    "ENTRY_POINT_GROUP",
    "AdvancedAsyncProcessor",
    "DependencyCycle",
    "InvalidTask",
    "NoProcessorRegistered",
    "NotPicklable",
    "PermissionDenied",
    "ProcessPoolCrashed",
    "ProcessingTask",
    "ProcessingType",
    "ProcessorError",
    "ProcessorRegistry",
    "ProcessorShutDown",
    "QueueFull",
    "RetryPolicy",
    "SnapshotError",
    "TaskManager",
    "TaskNotFound",
    "TaskPriority",
    "TaskResult",
    "TaskStatus",
    "UnknownDependency",
    "create_processor",
    "create_task",
]
