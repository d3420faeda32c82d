"""The local Messages-API server also runs standalone (for a daemon subprocess to talk to)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_module_entry_serves_messages() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fake_messages_api",
            "--port",
            "0",
            "--reply",
            "Hi from afar!",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base_url = line.rsplit(" ", 1)[-1].strip()
        assert base_url.startswith("http://127.0.0.1:"), line
        body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
        response = httpx2.post(f"{base_url}/v1/messages", json=body, timeout=10)
        assert response.json()["content"][0]["text"] == "Hi from afar!"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
