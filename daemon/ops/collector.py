"""Python's cyclic garbage collector in a daemon whose objects mostly live as long as it does.

Once the daemon is ready, ~220 k container objects (modules, the models' Python side, the config,
the web app) stay alive for its whole life, and every full collection walks them all with the GIL
held: 86-119 ms on the 2-core test machine. The speaker's output line writes a 20 ms block into a
50 ms device buffer, so a full collection in the middle of a reply starved it: an audible gap
(ALSA "underrun occurred" in 10 of 11 rig runs of benchmarks/e2e_latency.py, one right after a
119 ms collection). ``freeze_startup_objects()`` collects once and moves everything alive into the
permanent generation (``gc.freeze``): later collections walk only what the replies create.
Frozen objects are still freed by reference counting; only a reference cycle among them would
outlive its use (a SIGHUP reload replaces a few objects built at start).
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> int:
    """Collect, then keep every object alive now out of later collections; how many."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
