"""Open a page in the system's headless Chromium (Debian package) through Playwright.

Playwright drives /usr/bin/chromium; it never downloads a browser of its own. Without Chromium
the test is skipped with the install hint, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def require(program: str, package: str) -> str:
    """The program's path; skip (locally) or fail (CI) with the apt-get line when it is missing."""
    path = shutil.which(program)
    if path is None:
        reason = f"{program} not installed: apt-get install -y {package}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@dataclass(frozen=True)
class PageCheck:
    """What a person would see: console errors, images and whether each one decoded."""

    errors: list[str]
    image_widths: list[int]
    figure_ids: list[str]
    headings: list[str]
    requests: list[str]


def open_page(html: Path, screenshot: Path | None = None) -> PageCheck:
    from playwright.sync_api import sync_playwright

    chromium = require("chromium", "chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            requests: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.resolve().as_uri(), wait_until="load")
            widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
            ids = page.eval_on_selector_all("figure.plot", "fs => fs.map(f => f.id)")
            heads = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent)")
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return PageCheck(errors, widths, ids, heads, requests)
