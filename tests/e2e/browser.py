"""Headless Chromium for browser tests: Debian's chromium driven by Playwright.

Playwright's own browser download cannot run here, so the system browser is used. When it is
missing, the first browser test installs it with apt-get (as root), or skips with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The browser's path, installing Debian's chromium if needed; skips the test otherwise."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(
            "no Chromium installed and no root apt-get to install it (apt install chromium)"
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    steps = (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"])
    for step in steps:
        result = subprocess.run(
            step, check=False, env=env, capture_output=True, text=True, timeout=900
        )
        if result.returncode != 0:
            pytest.skip(f"could not install Chromium with {' '.join(step)}: {result.stderr[-300:]}")
    found = shutil.which("chromium")
    if not found:
        pytest.skip("apt-get installed chromium but no chromium binary is on PATH")
    return found


@contextmanager
def browser_page(**context_options: Any) -> Iterator[Any]:
    """A fresh page in a fresh headless browser, closed afterwards."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (make install)")
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(**context_options)
            yield context.new_page()
        finally:
            browser.close()
