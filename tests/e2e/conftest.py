"""Real-browser tests: Debian's Chromium driven by Playwright, against pytest-django's live server.

They never skip: a missing Chromium fails the run (CI installs it in .ci/run).
"""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Playwright's sync API runs an event loop in this thread; Django's async-safety check would then
# refuse the ORM calls the tests make to set up data.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: apt-get install chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="nb-NO")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def axe_violations(page) -> list[dict]:
    """WCAG 2.1 A/AA violations axe-core finds on the current page (axe is served from our files)."""
    # By URL, not inline: our CSP (script-src 'self') rightly blocks inline scripts.
    origin = "/".join(page.url.split("/")[:3])
    page.add_script_tag(url=f"{origin}/static/vendor/axe/axe.min.js")
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [{"id": v["id"], "help": v["help"], "nodes": len(v["nodes"])} for v in result["violations"]]


def docs_screenshot(page, name: str) -> None:
    """The picture of this page in docs/ (`name`.png), taken only by `make screenshots`
    (SCREENSHOTS=1): an ordinary test run leaves the repository's files alone."""
    if os.environ.get("SCREENSHOTS") == "1":
        page.screenshot(path=str(Path(__file__).resolve().parents[2] / "docs" / f"{name}.png"), full_page=True)


def login(page, live_server, pid: str, next_url: str = "") -> None:
    """Log in through the test login form, like a person would."""
    url = f"{live_server.url}/login/test/"
    if next_url:
        url += f"?next={next_url}"
    page.goto(url)
    page.fill("input[name=pid]", pid)
    page.click("button[type=submit] >> text=/Logg inn|Log in/")


def act_for(page, live_server, pid: str, org_name: str) -> None:
    """Log in and act for `org_name`: a person with one organisation lands on its overview at once,
    others choose it on the act-for page."""
    login(page, live_server, pid)
    page.wait_for_url(lambda url: "/actor/" in url or "/systemuser/" in url)
    if "/actor/" in page.url:
        page.locator("#org-results button", has_text=org_name).first.click()
    page.wait_for_url(f"{live_server.url}/systemuser/")
    assert org_name in page.inner_text("[data-testid=actor]")
