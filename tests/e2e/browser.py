"""Headless Chromium for browser tests: Debian's chromium driven by Playwright.

Playwright's own browser download cannot run here, so the system browser is used. When it is
missing, the first browser test installs it with apt-get (as root), or skips with the reason.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

#: One apt-get at a time across the test processes.
APT_LOCK = "/tmp/arena-tests-apt.lock"  # noqa: S108

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def apt_install(package: str, binary: str) -> str:
    """``binary``'s path, installing Debian's ``package`` with apt-get (as root) when it is
    missing; skips the test with the reason otherwise.

    Test processes (pytest-xdist workers) may ask at once: a file lock makes one install while
    the others wait and then find the binary, instead of failing on apt's own lock."""
    found = shutil.which(binary)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(
            f"{binary} is not installed and no root apt-get to install it (apt install {package})"
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with open(APT_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = shutil.which(binary)
        if found:
            return found
        for step in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
            result = subprocess.run(
                step, check=False, env=env, capture_output=True, text=True, timeout=900
            )
            if result.returncode != 0:
                pytest.skip(
                    f"could not install {package} with {' '.join(step)}: {result.stderr[-300:]}"
                )
    found = shutil.which(binary)
    if not found:
        pytest.skip(f"apt-get installed {package} but no {binary} is on PATH")
    return found


def chromium_path() -> str:
    """The browser's path, installing Debian's chromium if needed; skips the test otherwise."""
    return (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or apt_install("chromium", "chromium")
    )


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
