"""Every staff page passes axe-core: found by following the links a head and a city admin see.

The crawl starts on the dashboard and follows every same-origin link a signed-in person can
reach (no sign-out, no downloads, no public pages: those have their own checks), so a page
added later is checked without this file knowing its name.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from browser_support import CHROMIUM_ARGS, live
from consent.conftest import grant, make_episode
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from test_family_letters import axe
from web_support import PASSWORD

from webradio import schools

# Where the crawl does not go: public pages and files (checked elsewhere), sign-out, downloads.
SKIPPED_PREFIXES = (
    "/radio/",
    "/feeds/",
    "/media/",
    "/embed/",
    "/ville/widget",
    "/oembed",
    "/famille/",
    "/static/",
    "/deconnexion",
    "/studio/",
)
SKIPPED_ENDINGS = (".zip", ".csv", ".pdf", ".mp3", ".wav", ".xml", ".json", ".png", ".svg")
MOST_PAGES = 40


def staff_links(page: Page, origin: str) -> list[str]:
    """The same-origin paths this page links to that the crawl should visit."""
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    found = []
    for href in hrefs:
        url, _ = urldefrag(href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith(SKIPPED_PREFIXES) or parts.path.endswith(SKIPPED_ENDINGS):
            continue
        if "lang=" in parts.query:  # the same page in the other language
            continue
        found.append(path)
    return found


def signed_in(browser: Browser, origin: str, email: str) -> Page:
    """A page in a fresh context, signed in as `email`, on the page sign-in leads to."""
    page = browser.new_context().new_page()
    page.goto(f"{origin}/connexion")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/connexion" not in page.url, f"{email} could not sign in"
    return page


def crawl(page: Page, origin: str) -> tuple[set[str], dict[str, list[object]]]:
    """Visit every staff page reachable from where sign-in led: the paths, and axe's
    violations of each page that has some."""
    start = urlsplit(page.url).path
    seen: set[str] = {start}
    queue: deque[str] = deque([start])
    violations: dict[str, list[object]] = {}
    while queue and len(seen) <= MOST_PAGES:
        path = queue.popleft()
        answer = page.goto(origin + path)
        assert answer is not None and answer.status < 400, f"{path}: {answer and answer.status}"
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        found = axe(page)
        if found:
            violations[path] = found
        for link in staff_links(page, origin):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return seen, violations


@pytest.fixture
def busy_school(app: Flask, take_wav: Path) -> None:
    """A school in use: pupils with and without consent, a rendered episode, a city admin."""
    school = schools.create_school("ecole-axe", "École Axe")
    schools.create_user("head@axe.fr", "head", PASSWORD, school)
    schools.create_user("prof@axe.fr", "teacher", PASSWORD, school)
    schools.create_user("ville@axe.fr", "city-admin", PASSWORD, None)
    lea = schools.add_pupil(school, "CM2", "Léa")
    schools.add_pupil(school, "CM2", "Inès")
    schools.add_pupil(school, "CE1", "Hugo")
    grant(lea, "class,families,public", credit=True)
    make_episode(school, take_wav, [lea], title="Le journal de l'école")


@pytest.mark.usefixtures("busy_school")
def test_every_staff_page_passes_axe(app: Flask, browser_path: str) -> None:
    """The head's, a teacher's and the city admin's pages, each crawled from the start."""
    problems: dict[str, dict[str, list[object]]] = {}
    with live(app) as origin, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
        try:
            for email, fewest in (("head@axe.fr", 8), ("prof@axe.fr", 3), ("ville@axe.fr", 1)):
                seen, found = crawl(signed_in(browser, origin, email), origin)
                assert len(seen) >= fewest, f"{email}: the crawl found almost nothing: {seen}"
                if found:
                    problems[email] = found
        finally:
            browser.close()
    assert problems == {}
