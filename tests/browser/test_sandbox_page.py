"""The sandbox page in a real headless Chromium: a newcomer joins by the invite link and checks
in with buttons, the facilitator's announcement reaches a participant, moving the clock brings
a session reminder and a check-in prompt, and the mood chart shows. Screenshots are saved to
artifacts/sandbox/ for people to look at.

Needs Debian's chromium (`scripts/install-browser`); never `playwright install`. Skips without
it, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "sandbox"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
URL_LINE = re.compile(r"SANDBOX page:\s+(http://127\.0\.0\.1:\d+/)")
TEMP_LINE = re.compile(r"temporary data in (\S+) is removed")
TIMEOUT_MS = 20_000

pytestmark = pytest.mark.e2e


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    """Skip on a developer machine; fail in CI, where the browser must be installed."""
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: run scripts/install-browser in CI)")
    pytest.skip(f"{reason}; run scripts/install-browser to enable the sandbox browser test")


@pytest.fixture(scope="module")
def playwright_api() -> Any:
    """Playwright's sync API (the `playwright` package from the dev extra)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright import sync_api
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    return sync_api


class SandboxProcess:
    """`python -m bot sandbox` in a child process, as a person would start it."""

    def __init__(self, cwd: Path) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "sandbox", "--port", "0", "--no-browser"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_for(self, pattern: re.Pattern[str], seconds: float = 90) -> re.Match[str]:
        """The first output line matching `pattern`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            match = pattern.search(line)
            if match:
                return match
        raise AssertionError("sandbox did not print its address:\n" + "".join(self.output))

    def stop(self) -> int:
        """Ctrl+C, then the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


@pytest.fixture
def sandbox_url(tmp_path: Path) -> Iterator[str]:
    """A running sandbox; afterwards it must exit cleanly and leave nothing behind."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    process = SandboxProcess(cwd)
    try:
        url = process.wait_for(URL_LINE)[1]
        folder = Path(process.wait_for(TEMP_LINE)[1])
        assert folder.is_dir()
        yield url
    finally:
        code = process.stop()
    assert code == 0, "".join(process.output)
    assert not folder.exists(), "the sandbox left its temporary folder behind"
    assert list(cwd.iterdir()) == [], "the sandbox wrote into the current folder"


@pytest.fixture
def page(playwright_api: Any, tmp_path: Path) -> Iterator[Any]:
    """A fresh headless Chromium page (new profile), with page errors collected."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1440, "height": 900},
        )
        try:
            tab = context.new_page()
            tab.set_default_timeout(TIMEOUT_MS)
            tab.errors = []
            tab.on("pageerror", lambda error: tab.errors.append(str(error)))
            yield tab
        finally:
            context.close()


def chat(page: Any, persona: str) -> Any:
    """The chat column of a persona."""
    return page.locator(f'section.chat[data-persona="{persona}"]')


def bot_says(page: Any, persona: str, text: str) -> Any:
    """Wait for a bot message containing `text` in a persona's chat; returns it."""
    message = chat(page, persona).locator("[data-testid=bot-message]", has_text=text).last
    message.wait_for(state="visible")
    return message


def press(page: Any, persona: str, label: str) -> None:
    """Press the newest inline button whose label contains `label`."""
    chat(page, persona).locator("[data-testid=inline-button]", has_text=label).last.click()


def type_message(page: Any, persona: str, text: str) -> None:
    """Type into a persona's message box and press Enter."""
    box = chat(page, persona).locator("textarea.composer-input")
    box.fill(text)
    box.press("Enter")


def shot(page: Any, name: str) -> None:
    """Save a screenshot artifact."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), animations="disabled")


def test_a_newcomer_joins_checks_in_and_sees_automation(
    playwright_api: Any, page: Any, sandbox_url: str
) -> None:
    expect = playwright_api.expect
    page.goto(sandbox_url)
    page.locator("body.ready").wait_for()
    expect(page.locator(".badge")).to_have_text("SANDBOX")
    for persona in ("participant", "facilitator", "newcomer"):
        expect(chat(page, persona)).to_be_visible()
    expect(page.get_by_test_id("clock-time")).not_to_have_text("…")
    shot(page, "01-sandbox-opened")

    # The newcomer opens the clinic's join link and goes through onboarding with buttons.
    chat(page, "newcomer").get_by_test_id("join-link").click()
    expect(chat(page, "newcomer").locator("[data-testid=user-message]").first).to_contain_text(
        "/start join_"
    )
    bot_says(page, "newcomer", "Is it okay for me to keep this?")
    press(page, "newcomer", "Yes, I agree")
    bot_says(page, "newcomer", "Which time zone")
    press(page, "newcomer", "Berlin")
    bot_says(page, "newcomer", "When would you like your daily check-in?")
    press(page, "newcomer", "20:00")
    bot_says(page, "newcomer", "Is that okay with you?")
    press(page, "newcomer", "Yes, that's okay")
    welcome = bot_says(page, "newcomer", "Welcome to")
    expect(welcome).to_contain_text("Evening Circle")
    shot(page, "02-newcomer-joined")

    # ...and checks in by pressing buttons.
    type_message(page, "newcomer", "/checkin")
    bot_says(page, "newcomer", "How are you feeling today?")
    press(page, "newcomer", "4 🙂")
    bot_says(page, "newcomer", "Which feelings fit today?")
    press(page, "newcomer", "hopeful")
    expect(
        chat(page, "newcomer").locator("[data-testid=inline-button]", has_text="✓ 🌅 hopeful")
    ).to_be_visible()
    press(page, "newcomer", "Done")
    bot_says(page, "newcomer", "add a short note")
    press(page, "newcomer", "Skip")
    bot_says(page, "newcomer", "Thank you for checking in")
    shot(page, "03-newcomer-checked-in")

    # The facilitator announces; the announcement arrives in the participant's chat.
    type_message(page, "facilitator", "/announce")
    bot_says(page, "facilitator", "Who should get the announcement?")
    press(page, "facilitator", "Evening Circle")
    bot_says(page, "facilitator", "Write the announcement")
    type_message(page, "facilitator", "Please bring a notebook to the next session 📓")
    bot_says(page, "facilitator", "Please bring a notebook")
    press(page, "facilitator", "Send now")
    bot_says(page, "participant", "Please bring a notebook to the next session")
    bot_says(page, "newcomer", "Please bring a notebook to the next session")
    bot_says(page, "facilitator", "delivered")
    # Commands in a persona's hint can be tapped: Maya looks at her sessions.
    chat(page, "participant").locator(".hint .cmd", has_text="/sessions").click()
    bot_says(page, "participant", "Your answer")
    shot(page, "04-announcement-delivered")

    # Moving the clock to the next session reminder makes the reminder appear.
    before = page.get_by_test_id("clock-time").inner_text()
    page.get_by_test_id("jump-reminder").click()
    reminder = bot_says(page, "participant", "starts in 24 hours")
    expect(page.get_by_test_id("clock-time")).not_to_have_text(before)
    bot_says(page, "newcomer", "starts in 24 hours")
    press(page, "participant", "Going")
    expect(reminder.locator("[data-testid=inline-button]", has_text="✓ Going")).to_be_visible()
    shot(page, "05-session-reminder-after-clock-jump")

    # The next check-in prompt: the newcomer answers it, then sees the mood chart.
    page.get_by_test_id("jump-checkin").click()
    prompt = bot_says(page, "newcomer", "Hi Alex")
    prompt.locator("[data-testid=inline-button]", has_text="5").first.click()
    bot_says(page, "newcomer", "Mood 5")
    press(page, "newcomer", "Done")
    bot_says(page, "newcomer", "add a short note")
    press(page, "newcomer", "Skip")
    type_message(page, "newcomer", "/mood")
    photo = chat(page, "newcomer").get_by_test_id("photo").last
    photo.wait_for(state="visible")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 100", arg=photo.element_handle()
    )
    photo.scroll_into_view_if_needed()
    shot(page, "06-mood-chart")

    # On a phone, personas are tabs: one chat at a time.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_test_id("persona-participant").click()
    expect(chat(page, "participant")).to_be_visible()
    expect(chat(page, "newcomer")).to_be_hidden()
    expect(chat(page, "facilitator")).to_be_hidden()
    shot(page, "07-phone-participant-tab")

    assert page.errors == []
