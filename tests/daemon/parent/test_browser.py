"""A real Chromium (Debian ``chromium`` + ``chromium-driver``, driven by Selenium) uses the parent
page on a phone-sized window: logs in, reads the three conversations, follows a fear moment on the
Feelings chart, acknowledges an alert, changes quiet hours, exports, makes the bear forget a fact.
Screenshots of every page are saved in ``tests/output/parent/`` (git-ignored)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from daemon.config.reload import is_live
from tests.daemon.parent.harness import PASSWORD, ServedInThread

pytestmark = pytest.mark.slow

SHOTS = Path(__file__).resolve().parents[2] / "output" / "parent"
PHONE = (390, 844)
LAPTOP = (1366, 900)


def chromium(downloads: Path) -> webdriver.Chrome:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    assert binary and driver, (
        "install Debian packages chromium and chromium-driver (make test does)"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    browser = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    browser.set_window_size(*PHONE)
    return browser


@pytest.fixture
def page(tmp_path: Path) -> Iterator[tuple[webdriver.Chrome, ServedInThread, Path]]:
    served = ServedInThread(tmp_path / "state")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser = chromium(downloads)
    try:
        yield browser, served, downloads
    finally:
        browser.quit()
        served.close()


def replaced(old: WebElement) -> Callable[[Any], bool]:
    """Whether the page holding ``old`` is gone. Mid-navigation Chromium may answer "node does
    not belong to the document" instead of a stale reference: that means gone too."""

    def check(_: Any) -> bool:
        try:
            old.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc.msg):
                return True
            raise
        return False

    return check


def click_and_load(browser: webdriver.Chrome, element: WebElement) -> None:
    """Click (a submit button or a link) and wait for the next page to replace this one."""
    old = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 15).until(replaced(old))


def shot(browser: webdriver.Chrome, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / f"{name}.png"))


def test_a_parent_uses_the_page(page: tuple[webdriver.Chrome, ServedInThread, Path]) -> None:
    browser, thread, downloads = page
    served = thread.served
    url = served.url

    browser.get(url + "/")
    assert browser.current_url.endswith("/login")
    shot(browser, "0-login")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#login button"))
    assert browser.find_element(By.ID, "now").is_displayed()
    assert "Listening" in browser.find_element(By.ID, "now").text
    assert "1 alert not seen yet" in browser.find_element(By.ID, "unseen").text
    shot(browser, "1-now")

    browser.get(url + "/conversations")
    convos = browser.find_elements(By.CSS_SELECTOR, "article.convo")
    assert len(convos) == 3
    assert "my fish died today" in convos[0].text  # newest first
    assert len(browser.find_elements(By.CSS_SELECTOR, ".tag.offline")) == 1
    shot(browser, "2-conversations")

    browser.get(url + "/feelings?days=7&bucket=day")
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.feelings circle.point")) == 3
    moments = browser.find_elements(By.CSS_SELECTOR, "svg.feelings circle.moment")
    assert sorted(str(m.get_attribute("data-emotion")) for m in moments) == ["fear", "sadness"]
    shot(browser, "3-feelings-phone")
    browser.set_window_size(*LAPTOP)
    shot(browser, "3-feelings-laptop")
    browser.set_window_size(*PHONE)
    fear = next(m for m in moments if m.get_attribute("data-emotion") == "fear")
    old = browser.find_element(By.TAG_NAME, "html")
    # an SVG circle inside a link: dispatch the click the way a tap would
    browser.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", fear
    )
    WebDriverWait(browser, 15).until(replaced(old))
    assert f"id={served.ids[1]}" in browser.current_url
    (only,) = browser.find_elements(By.CSS_SELECTOR, "article.convo")
    assert "scared of the dark" in only.text

    browser.get(url + "/alerts")
    shot(browser, "4-alerts")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, ".ack-button"))
    assert "Seen" in browser.find_element(By.CSS_SELECTOR, "article.alert").text
    rows = thread.call(served.parts.store.fetch("SELECT acknowledged_at FROM alerts"))  # type: ignore[union-attr]
    assert rows[0]["acknowledged_at"] is not None
    shot(browser, "4-alerts-acknowledged")

    browser.get(url + "/settings")
    field = browser.find_element(By.ID, "f-parental.quiet_hours")
    field.clear()
    field.send_keys("19:30-07:00")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#settings button[type=submit]"))
    saved = browser.find_element(By.CSS_SELECTOR, ".message").text
    assert "Saved" in saved and "parental.quiet_hours" in saved  # the reload's own summary
    assert "19:30-07:00" in browser.find_element(By.ID, "overlay").text
    field = browser.find_element(By.ID, "f-parental.quiet_hours")
    assert field.get_attribute("value") == "19:30-07:00"
    live = is_live("parental.quiet_hours")  # SIGHUP's rule decides, not the page
    running = served.parts.config.parental.quiet_hours
    assert running == (["19:30-07:00"] if live else [])
    overlay = json.loads((served.site.ctx.overlay_path).read_text())
    assert overlay == {"parental.quiet_hours": ["19:30-07:00"]}
    shot(browser, "5-settings")

    browser.get(url + "/privacy")
    shot(browser, "6-privacy")
    browser.find_element(By.ID, "export").click()
    zips: list[Path] = []
    for _ in range(100):
        zips = [p for p in downloads.glob("*.zip")]
        if zips:
            break
        time.sleep(0.1)
    assert zips, "the export did not download"
    with zipfile.ZipFile(zips[0]) as zf:
        doc = json.loads(zf.read("teddy-export.json"))
    assert len(doc["interactions"]) == 3
    assert doc["settings_overlay"] == {"parental.quiet_hours": ["19:30-07:00"]}
    assert len(doc["profile_facts"]) == 4

    browser.get(url + "/memory")
    assert "Memory is on" in browser.find_element(By.ID, "memory-state").text
    values = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "article.fact .value")]
    assert values == ["Bubbles", "the dark", "building towers", "Mia"]  # newest first
    shot(browser, "7-memory")
    browser.set_window_size(*LAPTOP)
    shot(browser, "7-memory-laptop")
    browser.set_window_size(*PHONE)
    dark = served.facts[2]
    card = browser.find_element(By.ID, f"fact-{dark}")
    assert "the dark" in card.text and "conversation" in card.text
    click_and_load(browser, card.find_element(By.CSS_SELECTOR, "button.forget"))
    assert "forgotten" in browser.find_element(By.CSS_SELECTOR, ".message").text
    values = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "article.fact .value")]
    assert values == ["Bubbles", "building towers", "Mia"]
    assert not browser.find_elements(By.ID, f"fact-{dark}")
    rows = thread.call(served.parts.store.fetch("SELECT value FROM profile_facts"))  # type: ignore[union-attr]
    assert sorted(r["value"] for r in rows) == ["Bubbles", "Mia", "building towers"]
    shot(browser, "7-memory-forgotten")

    browser.get(url + "/")
    now = dt.datetime.now().time()
    sleeping = "Sleeping" in browser.find_element(By.ID, "now").text
    assert sleeping == (live and (now >= dt.time(19, 30) or now < dt.time(7, 0)))
