"""In a real chromium: a teacher corrects the title of a public episode, the head compares
before and after and approves, and the public page shows the new title."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def chromium(app: Flask, browser_path: str) -> Iterator[tuple[Browser, str]]:
    """Debian's chromium and the app served for real: the browser and the app's origin."""
    with live(app) as origin, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
        try:
            yield browser, origin
        finally:
            browser.close()


def propose_title(browser: Browser, origin: str, episode_id: str, title: str) -> Page:
    """The teacher proposes a new title for a published episode: the teacher's page."""
    teacher = signed_in(browser, origin, "prof@corrections.fr")
    teacher.goto(f"{origin}/episodes/{episode_id}")
    teacher.get_by_text("Corriger les textes").click()
    teacher.get_by_label("Titre", exact=True).fill(title)
    teacher.get_by_role("button", name="Envoyer la correction à la direction").click()
    expect(teacher.locator(".flash")).to_contain_text("Correction envoyée à la direction")
    return teacher


@pytest.mark.browser
def test_a_teacher_corrects_a_public_title_and_the_head_approves(
    app: Flask, published: Class, browser_path: str
) -> None:
    episode = published.episode
    with chromium(app, browser_path) as (browser, origin):
        teacher = propose_title(browser, origin, episode.id, "Le journal du jeudi")
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


@pytest.mark.browser
def test_the_head_refuses_a_correction_with_a_comment_the_teacher_then_reads(
    app: Flask, published: Class, browser_path: str
) -> None:
    episode = published.episode
    with chromium(app, browser_path) as (browser, origin):
        teacher = propose_title(browser, origin, episode.id, "Le journal de toute la classe")

        head = signed_in(browser, origin, "head@corrections.fr")
        head.locator(".to-approve").get_by_role("link", name="Le journal").click()
        # A refusal without a word for the teacher is not sent: the comment is asked for
        # where it is typed, and the correction still waits.
        comment = head.get_by_label("Commentaire pour l’enseignant")
        head.get_by_role("button", name="Refuser").click()
        assert comment.evaluate("field => field.matches(':invalid')")
        assert head.url == f"{origin}/episodes/{episode.id}"
        expect(head.locator("table.before-after tr.changed ins")).to_have_text(
            "Le journal de toute la classe"
        )
        comment.fill("Gardons un titre court, merci !")
        head.get_by_role("button", name="Refuser").click()
        expect(head.locator(".flash")).to_be_visible()

        teacher.goto(f"{origin}/")
        corrections = teacher.locator(".corrections")
        expect(corrections).to_contain_text("refusée par la direction")
        expect(corrections).to_contain_text("Gardons un titre court, merci !")
        teacher.goto(f"{origin}/episodes/{episode.id}")
        expect(teacher.locator("main")).to_contain_text(
            "La direction a refusé la correction des textes : Gardons un titre court, merci !"
        )
        expect(teacher.locator("h1")).to_have_text("Le journal")
        shoot(teacher, "episode-teacher-refused")
        assert axe(teacher) == []
        visitor = browser.new_context(locale="fr-FR").new_page()
        visitor.goto(f"{origin}/radio/{published.school.slug}/episodes/{episode.id}")
        expect(visitor.locator("h1")).to_contain_text("Le journal")
        assert "toute la classe" not in visitor.locator("main").inner_text()
