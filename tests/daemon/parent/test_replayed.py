"""End to end: a real ``teddy run`` subprocess hears three recorded utterances (``--input
replay:``), answers them offline, and the parent page it serves shows them: a password set with
``teddy parent set-password --config``, the API read with the health token (recordings kept:
the journal's FLAC files), and a real Chromium
logged in on a phone-sized window seeing the three replayed conversations (screenshot
``tests/output/parent/7-replayed.png``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.daemon.parent.test_browser import chromium, click_and_load, shot
from tests.e2e.harness import ROOT, DaemonProcess, free_port, wait_until

pytestmark = pytest.mark.slow

WAVS = ("ps_cards_001.wav", "ps_cards_002.wav", "ps_cards_003.wav")
TOKEN = "replay-token-0123456789"
PASSWORD = "replayed password"


def api(port: int, path: str) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=5) as resp:
        return json.loads(resp.read())


def test_replayed_conversations_on_the_parent_page(tmp_path: Path) -> None:
    folder = tmp_path / "wav"
    folder.mkdir()
    for name in WAVS:
        shutil.copy(ROOT / "tests" / "data" / "speech_real" / name, folder / name)
    port = free_port()
    config = tmp_path / "teddy.toml"
    config.write_text(
        f'[history]\npath = "{tmp_path / "state" / "history.sqlite3"}"\nstore_audio = true\n'
        f'[health]\nport = {port}\ntoken = "{TOKEN}"\n'
        "[alerts]\ndesktop = false\n[pipeline]\nspeak = false\n",
        encoding="utf-8",
    )
    config.chmod(0o600)
    env = {"ANTHROPIC_API_KEY": "", "TEDDY_CONFIG": "", "PULSE_SERVER": "unix:/nonexistent"}
    done = subprocess.run(
        [sys.executable, "-m", "daemon", "parent", "set-password", "--config", str(config)],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    args = ["run", "--config", str(config), "--input", f"replay:{folder}", "--fast"]
    with DaemonProcess(args, env, tmp_path / "daemon.log") as daemon:

        def answered() -> bool:
            try:
                rows = api(port, "/api/interactions")["interactions"]
            except OSError:
                return False
            return len(rows) == 3 and all(r["status"] == "done" for r in rows)

        wait_until(answered, 180, "three answered utterances", daemon)
        rows = api(port, "/api/interactions")["interactions"]
        assert all(r["offline"] and r["transcript"] and r["reply"] for r in rows)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/interactions/{rows[0]['id']}/audio",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=5) as resp:
            assert resp.headers["Content-Type"] == "audio/flac"
            assert resp.read(4) == b"fLaC"  # the journal's own recording
        browser = chromium(tmp_path)
        try:
            browser.get(f"http://127.0.0.1:{port}/")
            browser.find_element(By.NAME, "password").send_keys(PASSWORD)
            click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#login button"))
            browser.get(f"http://127.0.0.1:{port}/conversations")
            convos = browser.find_elements(By.CSS_SELECTOR, "article.convo")
            assert len(convos) == 3
            assert len(browser.find_elements(By.CSS_SELECTOR, ".tag.offline")) == 3
            assert len(browser.find_elements(By.CSS_SELECTOR, "article.convo audio")) == 3
            said = [r["transcript"] for r in rows]
            assert [
                c.find_element(By.CSS_SELECTOR, ".child").text.strip("“”") for c in convos
            ] == said
            shot(browser, "7-replayed")
        finally:
            browser.quit()
