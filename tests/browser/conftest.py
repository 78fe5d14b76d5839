"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against live_server.

Skipped, with the reason, when the browser or the Playwright package is missing.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Screenshots go to a scratch folder on every run; `UPDATE_SCREENSHOTS=1 pytest tests/browser`
# writes them into docs/screenshots, the copies the README links to (kept out of ordinary runs so
# a test run leaves the work tree clean: the pages carry timestamps and ports).
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS = (
    DOCS_SCREENSHOTS
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else Path(os.environ.get("TMPDIR", "/tmp")) / "massdriver-scim-screenshots"
)

# Playwright's sync API runs an event loop in this thread; Django then refuses ORM calls from it
# ("you cannot call this from an async context") although they are plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None


@pytest.fixture(scope="session")
def browser():
    if sync_playwright is None:
        pytest.skip("browser tests need the playwright package (pip install playwright)")
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, element=None) -> Path:
        """The whole page, or only `element` (a locator: one card of a long page)."""
        path = SCREENSHOTS / f"{name}.png"
        if element is not None:
            element.screenshot(path=str(path))
        else:
            page.screenshot(path=str(path), full_page=True)
        return path

    return take
