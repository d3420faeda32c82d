"""``teddy run`` freezes what is alive at ready (daemon/ops/collector.py): a full collection in
the middle of a reply walked it all for ~100 ms and starved the speaker's buffer."""

from __future__ import annotations

import re
import signal
from pathlib import Path

from tests.e2e.harness import free_port, running_api
from tests.reliability.launcher import write_tones
from tests.reliability.rig import Bear, write_config


def test_teddy_run_freezes_the_objects_alive_at_ready(tmp_path: Path) -> None:
    with running_api("Hello there!") as api:
        config = write_config(
            tmp_path, api_url=api.base_url, db=tmp_path / "h.sqlite3", port=free_port()
        )
        with Bear(
            config, tmp_path / "daemon.log", replay=write_tones(tmp_path / "wav", [0])
        ) as bear:
            bear.wait_ready()
            bear.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
            bear.process.wait(30)  # type: ignore[union-attr]
    found = re.search(r"(\d+) objects frozen at ready", (tmp_path / "daemon.log").read_text())
    assert found is not None, bear.tail()
    assert int(found.group(1)) > 50_000  # the modules and models: far more than any reply makes
