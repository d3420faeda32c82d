"""teddy's job processor (priorities, dependencies, cancellation, execution contexts) and stages.

Public API, compatible with the async-processor guide::

    from processors import create_processor, create_task, ProcessingType, TaskPriority

It is the engine's (``processors.engine``); the stages live in their own packages beside it.
"""

from processors.engine import *  # noqa: F403 - the engine's __all__ is the public API
from processors.engine import __all__ as __all__
