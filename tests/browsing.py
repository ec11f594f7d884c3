"""Driving Debian's headless Chromium for the browser tests: launch, log in, run axe-core."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import PASSWORD

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def skip_without_chromium() -> None:
    """Skip the calling test module on a laptop without Chromium; in CI (WORKFLOW_REQUIRE_BROWSER) fail instead."""
    if not CHROMIUM and not os.environ.get("WORKFLOW_REQUIRE_BROWSER"):
        pytest.skip("Debian's chromium is not installed here (apt-get install chromium); CI installs it",
                    allow_module_level=True)
    pytest.importorskip("playwright.sync_api")


@contextmanager
def launched() -> Iterator:
    """A headless Chromium for one test module."""
    from playwright import sync_api

    assert CHROMIUM, "chromium is required (WORKFLOW_REQUIRE_BROWSER is set)"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


def login(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/inbox")


def axe_violations(page) -> list[str]:
    """axe-core's findings on the page as it stands, one line each."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(url="/static/vendor/axe.min.js")  # vendored by `make vendor`
    return page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
                         ".then(r => r.violations.map(v => v.id + ': ' + v.help + ' @ '"
                         " + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(' | ')))", AXE_TAGS)
