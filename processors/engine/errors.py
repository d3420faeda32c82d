"""Exceptions of the job processor (the stages keep their own errors in their packages)."""

from __future__ import annotations


class ProcessorError(Exception):
    """Base class of every error raised by the processor package."""


class QueueFull(ProcessorError):
    """The processor's queue (``queue_size`` pending tasks) is full and the submit may not wait."""


class ProcessorShutDown(ProcessorError):
    """The processor is shutting down or shut down: it accepts no new tasks."""


class InvalidTask(ProcessorError, ValueError):
    """A task cannot be submitted as given (duplicate id, bad field value...)."""


class UnknownDependency(InvalidTask):
    """A task depends on an id the processor does not know."""


class DependencyCycle(InvalidTask):
    """The dependencies of the submitted tasks form a cycle."""


class TaskNotFound(ProcessorError, KeyError):
    """No task with this id is known to the processor (never submitted, or already forgotten)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "task not found"


class NoProcessorRegistered(ProcessorError, LookupError):
    """No processor function could be found or loaded for a task type."""


class NotPicklable(ProcessorError, TypeError):
    """A ``cpu_intensive`` task's function or payload cannot be sent to the process pool."""


class ProcessPoolCrashed(ProcessorError):
    """A process-pool worker died while running the task (the pool is rebuilt)."""


class PermissionDenied(ProcessorError):
    """``request_permission`` refused the task too many times."""


class SnapshotError(ProcessorError, ValueError):
    """A snapshot cannot be taken or restored (payload not JSON-serializable, bad format...)."""
