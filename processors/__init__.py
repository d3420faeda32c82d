"""teddy's job processor (priorities, dependencies, cancellation, execution contexts) and stages.

Public API, compatible with the async-processor guide::

    from processors import create_processor, create_task, ProcessingType, TaskPriority
"""

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
from processors.engine.registry import ENTRY_POINT_GROUP, ProcessorRegistry
from processors.engine.retry import RetryPolicy
from processors.engine.task import (
    ProcessingTask,
    ProcessingType,
    TaskPriority,
    TaskResult,
    TaskStatus,
    create_task,
)

__all__ = [
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
