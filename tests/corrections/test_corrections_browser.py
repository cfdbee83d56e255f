"""In a real chromium: a teacher corrects the title of a public episode, the head compares
before and after and approves, and the public page shows the new title."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from browser_support import CHROMIUM_ARGS, live
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright
from publishing.judges import node_judges
from web_support import PASSWORD

from .conftest import Class

# Set WEBRADIO_SHOTS=/some/folder to keep screenshots of each page at three widths.
SHOTS = os.environ.get("WEBRADIO_SHOTS")


def signed_in(browser: Browser, origin: str, email: str) -> Page:
    """A new page of a fresh context, signed in as `email`, on the dashboard."""
    page = browser.new_context(locale="fr-FR").new_page()
    page.goto(f"{origin}/connexion")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{origin}/")
    return page


def axe(page: Page, within: str = "html") -> list[Any]:
    """axe-core's violations in the page's `within` element (ids and the elements at fault)."""
    source = (node_judges() / "node_modules" / "axe-core" / "axe.min.js").read_text()
    page.add_script_tag(content=source)
    found: list[Any] = page.evaluate(
        "async (within) => (await axe.run(document.querySelector(within), "
        "{resultTypes: ['violations']})).violations",
        within,
    )
    return [(v["id"], [n["html"] for n in v["nodes"]]) for v in found]


def shoot(page: Page, name: str) -> None:
    """Full-page screenshots at 1366, 1024 and 360 px, when asked for."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width in (1366, 1024, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


@pytest.mark.browser
def test_a_teacher_corrects_a_public_title_and_the_head_approves(
    app: Flask, published: Class, browser_path: str
) -> None:
    episode = published.episode
    with live(app) as origin, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
        try:
            teacher = signed_in(browser, origin, "prof@corrections.fr")
            teacher.goto(f"{origin}/episodes/{episode.id}")
            teacher.get_by_text("Corriger les textes").click()
            teacher.get_by_label("Titre", exact=True).fill("Le journal du jeudi")
            teacher.get_by_role("button", name="Envoyer la correction à la direction").click()
            expect(teacher.locator(".flash")).to_contain_text("Correction envoyée à la direction")
            expect(teacher.locator("h1")).to_have_text("Le journal")  # unchanged meanwhile

            head = signed_in(browser, origin, "head@corrections.fr")
            waiting = head.locator(".to-approve")
            expect(waiting).to_contain_text("correction des textes proposée")
            shoot(head, "dashboard-head")
            waiting.get_by_role("link", name="Le journal").click()
            changed = head.locator("table.before-after tr.changed")
            expect(changed).to_have_count(1)
            expect(changed.locator("del")).to_have_text("Le journal")
            expect(changed.locator("ins")).to_have_text("Le journal du jeudi")
            shoot(head, "episode-head-correction")
            assert axe(head) == []
            head.get_by_role("button", name="Valider la correction").click()
            expect(head.locator(".flash")).to_contain_text("Correction validée")

            visitor = browser.new_context(locale="fr-FR").new_page()
            visitor.goto(f"{origin}/radio/{published.school.slug}/episodes/{episode.id}")
            expect(visitor.locator("h1")).to_contain_text("Le journal du jeudi")
            teacher.goto(f"{origin}/")
            expect(teacher.locator(".corrections")).to_contain_text("validée par la direction")
            shoot(teacher, "dashboard-teacher")
            assert axe(teacher, ".corrections") == []  # the corrections part
        finally:
            browser.close()
