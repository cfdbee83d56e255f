"""The family page on a phone: it fits 360 px, the copy button copies, the apps open the feed."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from test_family_letters import ZBARIMG, axe, browser_on, decode, shoot
from test_publishing_http import publish
from web_support import PASSWORD

from webradio import authorisations, schools, sharing, urls
from webradio.clock import today_paris
from webradio.models import School

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def school(app: Flask, take_wav: Path) -> School:
    """A school with one episode published for families (Léa allows families)."""
    created = schools.create_school("ecole-mobile", "École Jean de La Fontaine")
    schools.create_user("head@ecole.fr", "head", PASSWORD, created)
    pupil = schools.add_pupil(created, "CM1", "Léa")
    signed = {"signed_on": today_paris(), "guardians_signed": 1}
    authorisations.grant(
        pupil, authorisations.GrantRequest(frozenset({"class", "families"}), **signed)
    )
    publish(created, take_wav, "Léa", "Le journal du potager de l’école, numéro de printemps")
    return created


def fits(page: Page) -> bool:
    """No sideways scrolling: the page is no wider than the window."""
    return bool(page.evaluate("document.scrollingElement.scrollWidth <= innerWidth"))


@pytest.mark.browser
def test_family_page_on_a_phone(
    app: Flask, school: School, browser_path: str, tmp_path: Path
) -> None:
    token = sharing.create_token(school, "CM1 — famille 1")
    feed = urls.family_feed(token.token)
    home = urls.family_home(token.token).removeprefix("http://radio.test")
    grant = {"permissions": ["clipboard-read", "clipboard-write"], "viewport": PHONE}
    with browser_on(app, browser_path, **grant) as (context, origin):
        page = context.new_page()
        page.goto(origin + home)
        shoot(page, "family-home-360")
        assert fits(page), page.evaluate("document.scrollingElement.scrollWidth")
        assert page.locator("#feed-url").inner_text() == feed
        assert not page.locator(".subscribe-qr").is_visible()  # wide screens only

        links = {a.inner_text(): a.get_attribute("href") for a in page.locator("a.app").all()}
        bare = feed.removeprefix("http://")
        assert links == {
            "Apple Podcasts": f"podcast://{bare}",
            "AntennaPod": "https://antennapod.org/deeplink/subscribe?url="
            + quote(feed, safe="")
            + "&title="
            + quote("École Jean de La Fontaine"),
            "Pocket Casts": f"pktc://subscribe/{bare}",
            "Overcast": f"overcast://x-callback-url/add?url={quote(feed, safe='')}",
        }

        page.get_by_role("button", name="Copier l’adresse").click()
        expect(page.locator("[data-copy-status]")).to_have_text("Adresse copiée.")
        assert page.evaluate("navigator.clipboard.readText()") == feed
        assert axe(page) == []

        for width in (1024, 1366):
            page.set_viewport_size({"width": width, "height": 900})
            shoot(page, f"family-home-{width}")
            assert fits(page), width
            qr = page.locator(".subscribe-qr .qr svg")
            assert qr.is_visible()
            if ZBARIMG.exists():
                png = tmp_path / f"qr-{width}.png"
                qr.screenshot(path=str(png))
                assert decode(png) == [feed]


@pytest.mark.browser
def test_without_the_clipboard_api_the_address_is_selected(
    app: Flask, school: School, browser_path: str
) -> None:
    token = sharing.create_token(school, "CM1 — famille 2")
    home = urls.family_home(token.token).removeprefix("http://radio.test")
    with browser_on(app, browser_path, viewport=PHONE) as (context, origin):
        context.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
        page = context.new_page()
        page.goto(origin + home)
        page.get_by_role("button", name="Copier l’adresse").click()
        assert page.evaluate("String(getSelection())") == urls.family_feed(token.token)
        assert page.locator("[data-copy-status]").inner_text() in {
            "Adresse copiée.",
            "Adresse sélectionnée : copiez-la avec le menu de votre téléphone.",
        }
