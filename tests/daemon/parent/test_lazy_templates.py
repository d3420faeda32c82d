"""The parent page's template engine is imported on the first page, not when the daemon starts:
most bears run for days without a parent opening the page, and jinja2 costs ~9 MiB of RSS."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_jinja2_is_not_imported_until_a_page_is_rendered() -> None:
    probe = (
        "import sys\n"
        "import daemon.app, daemon.ops.http_wiring, daemon.parent.routes.pages as pages\n"
        "print('jinja2' in sys.modules)\n"
        "pages._env()\n"
        "print('jinja2' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]
