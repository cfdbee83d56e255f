"""A class's family letters: one access per family, one A4 letter each, every QR code scans."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from browser_support import CHROMIUM_ARGS, live
from flask import Flask
from flask.testing import FlaskClient
from lxml import html
from playwright.sync_api import BrowserContext, Page, sync_playwright
from publishing.judges import node_judges
from web_support import PASSWORD, fetch, sign_in

from webradio import people, schools, sharing, urls
from webradio.clock import now_utc
from webradio.extensions import db
from webradio.models import School

SHOTS = Path("/tmp/shots")
PUPILS = ("Léa", "Inès", "Zoé", "Noé")
ZBARIMG = Path("/usr/bin/zbarimg")


@pytest.fixture
def school(app: Flask) -> School:
    """A school with a head, a teacher, CM2 A (four pupils, one erased) and CE1 (one pupil)."""
    created = schools.create_school("ecole-lettres", "École des Lettres")
    schools.create_user("head@ecole.fr", "head", PASSWORD, created)
    schools.create_user("prof@ecole.fr", "teacher", PASSWORD, created)
    for name in PUPILS:
        schools.add_pupil(created, "CM2 A", name)
    schools.add_pupil(created, "CE1", "Hugo")
    erased = schools.add_pupil(created, "CM2 A", "Jade")
    erased.first_name, erased.erased_at = "—", now_utc()
    db.session.commit()
    return created


def class_id(school: School, label: str) -> str:
    """The id of the school's class with this label."""
    return next(c.id for c in people.list_classes(school) if c.label == label)


def letters_of(page_html: str) -> list[tuple[str, str]]:
    """(reference label, feed address) of each letter on a letters page, in order."""
    tree = html.fromstring(page_html)
    return [
        (
            article.xpath("string(.//p[@class='date'])").strip(),
            article.xpath("string(.//code[@data-feed-url])").strip(),
        )
        for article in tree.xpath("//article[contains(@class, 'letter')]")
    ]


def test_head_prints_the_letters_of_a_class(client: FlaskClient, school: School) -> None:
    sign_in(client, "head@ecole.fr")
    form = fetch(client, "/ecole/familles").text
    assert "CM2 A (4 élèves)" in form and 'value="1"' in form  # CE1 comes first: 1 pupil

    created = client.post(
        "/ecole/familles/classe", data={"class_id": class_id(school, "CM2 A"), "count": ""}
    )
    assert created.status_code == 302
    page = fetch(client, created.headers["Location"])
    assert page.status_code == 200 and page.headers["Cache-Control"].startswith("private")
    tokens = sharing.list_tokens(school)
    assert [t.label for t in tokens] == [f"CM2 A — famille {n}" for n in (1, 2, 3, 4)]
    assert letters_of(page.text) == [(f"Réf. {t.label}", urls.family_feed(t.token)) for t in tokens]
    for name in (*PUPILS, "Hugo", "Jade"):
        assert name not in page.text, name

    # A second batch carries on the numbers, even past a revoked access; its page shows only it.
    sharing.revoke_token(tokens[3])
    again = client.post(
        "/ecole/familles/classe", data={"class_id": class_id(school, "CM2 A"), "count": "2"}
    )
    second = letters_of(fetch(client, again.headers["Location"]).text)
    assert [label for label, _ in second] == ["Réf. CM2 A — famille 5", "Réf. CM2 A — famille 6"]

    # Printing an old batch again leaves the revoked access out.
    ids = "&".join(f"t={t.id}" for t in tokens)
    assert len(letters_of(fetch(client, f"/ecole/familles/lettres?{ids}").text)) == 3
    listing = html.fromstring(fetch(client, "/ecole/familles").text)
    (every,) = listing.xpath("//a[@data-all-letters]")
    assert "5 lettres" in every.text_content()
    assert len(letters_of(fetch(client, every.get("href")).text)) == 5

    bad = client.post(
        "/ecole/familles/classe", data={"class_id": class_id(school, "CE1"), "count": "99"}
    )
    assert bad.status_code == 400 and "entre 1 et 60" in bad.text
    unknown = client.post("/ecole/familles/classe", data={"class_id": "nope", "count": "2"})
    assert unknown.status_code == 404
    assert fetch(client, "/ecole/familles/lettres").status_code == 404


def test_letters_are_the_heads_only_and_stay_in_the_school(
    client: FlaskClient, school: School
) -> None:
    other = schools.create_school("ecole-voisine", "École voisine")
    foreign = sharing.create_token(other, "CP — famille 1")
    sign_in(client, "head@ecole.fr")
    assert fetch(client, f"/ecole/familles/lettres?t={foreign.id}").status_code == 404
    sign_in(client, "prof@ecole.fr")
    assert fetch(client, "/ecole/familles").status_code == 403
    posted = client.post("/ecole/familles/classe", data={"class_id": class_id(school, "CE1")})
    assert posted.status_code == 403
    assert sharing.list_tokens(school) == []


def test_revocation_is_confirmed_first(client: FlaskClient, school: School) -> None:
    token = sharing.create_token(school, "CE1 — famille 1")
    sign_in(client, "head@ecole.fr")
    listing = html.fromstring(fetch(client, "/ecole/familles").text)
    (confirm,) = listing.xpath(f"//form[@id='revoke-{token.id}']")
    assert confirm.get("hidden") is not None  # the list shows a link, not a revoking button
    (opener,) = listing.xpath(f"//a[@data-revoke-open='revoke-{token.id}']")
    asked = html.fromstring(fetch(client, opener.get("href").split("#")[0]).text)
    (confirm,) = asked.xpath(f"//form[@id='revoke-{token.id}']")
    assert confirm.get("hidden") is None and "CE1 — famille 1" in confirm.text_content()
    assert sharing.live_token(token.token) is not None


# --- In a browser: every QR code decodes to its letter's address -----------------------------


@contextmanager
def browser_on(
    app: Flask, browser_path: str, email: str | None = None, **options: object
) -> Iterator[tuple[BrowserContext, str]]:
    """A chromium context on the live test app (signed in as `email` if given), and its origin."""
    with live(app) as origin, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(**options)  # type: ignore[arg-type]
            if email is not None:
                page = context.new_page()
                page.goto(f"{origin}/connexion")
                page.fill("input[name=email]", email)
                page.fill("input[name=password]", PASSWORD)
                page.click("main form button[type=submit]")
                page.wait_for_url(f"{origin}/")
                page.close()
            yield context, origin
        finally:
            browser.close()


def decode(png: Path) -> list[str]:
    """Every QR code zbarimg finds in the image, as text."""
    done = subprocess.run(
        [str(ZBARIMG), "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return done.stdout.splitlines()


def axe(page: Page) -> list[Any]:
    """axe-core's violations on the page (ids and the elements at fault)."""
    source = (node_judges() / "node_modules" / "axe-core" / "axe.min.js").read_text()
    page.add_script_tag(content=source)
    found: list[Any] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [(v["id"], [n["html"] for n in v["nodes"]]) for v in found]


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot under /tmp/shots, to look at."""
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.mark.browser
@pytest.mark.skipif(not ZBARIMG.exists(), reason="zbarimg is not installed (zbar-tools)")
def test_every_qr_code_of_a_class_scans_on_screen_and_in_print(
    app: Flask, school: School, browser_path: str, tmp_path: Path
) -> None:
    viewport = {"width": 1366, "height": 900}
    with browser_on(app, browser_path, "head@ecole.fr", viewport=viewport) as (context, origin):
        page = context.new_page()
        page.goto(f"{origin}/ecole/familles")
        shoot(page, "family-tokens-1366")
        assert axe(page) == []
        page.select_option("[data-class-select]", label="CM2 A (4 élèves)")
        assert page.input_value("[data-class-count]") == "4"
        page.click("text=Créer les accès et imprimer les lettres")
        page.wait_for_url(re.compile(r"/ecole/familles/lettres\?"))
        expected = [urls.family_feed(t.token) for t in sharing.list_tokens(school)]
        assert len(expected) == 4
        assert axe(page) == []

        for width, media in ((1366, "screen"), (1024, "screen"), (360, "screen"), (794, "print")):
            page.set_viewport_size({"width": width, "height": 900})
            page.emulate_media(media=media)  # type: ignore[arg-type]
            whole = shoot(page, f"family-letters-{width}-{media}")
            assert sorted(decode(whole)) == sorted(expected), (width, media)  # the whole page
            assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth"), width
            letters = page.locator("article.letter")
            assert letters.count() == len(expected)
            for i in range(letters.count()):
                letter = letters.nth(i)
                printed = letter.locator("[data-feed-url]").inner_text()
                box = letter.locator(".qr svg").bounding_box()
                assert box is not None and box["width"] >= 100, (width, media, box)
                png = tmp_path / f"letter-{width}-{media}-{i}.png"
                letter.screenshot(path=str(png))
                assert decode(png) == [expected[i]] == [printed], (width, media, i)
            if media == "print":
                breaks = letters.evaluate_all(
                    "els => els.map(e => getComputedStyle(e).breakBefore)"
                )
                assert breaks == ["auto"] + ["page"] * (len(expected) - 1)
        # Smaller than its 4 px per module: the code scales whole (a viewBox), never cropped.
        page.emulate_media(media="screen")
        page.add_style_tag(content=".letter .qr svg { width: 35mm !important; }")
        for i, svg in enumerate(page.locator("article.letter .qr svg").all()):
            box = svg.bounding_box()
            assert box is not None and abs(box["width"] - box["height"]) < 1, box
            png = tmp_path / f"letter-small-{i}.png"
            svg.screenshot(path=str(png))
            assert decode(png) == [expected[i]], i
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4", print_background=True)
        assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == len(expected)  # one A4 per family


@pytest.mark.browser
def test_revoking_asks_first_and_can_be_undone(
    app: Flask, school: School, browser_path: str
) -> None:
    first, second = (sharing.create_token(school, f"CE1 — famille {n}") for n in (1, 2))
    viewport = {"width": 1366, "height": 900}
    with browser_on(app, browser_path, "head@ecole.fr", viewport=viewport) as (context, origin):
        page = context.new_page()
        page.clock.install()
        page.goto(f"{origin}/ecole/familles")
        row = page.locator("tr", has_text="CE1 — famille 1")
        row.get_by_role("link", name="Révoquer…").click()
        question = row.locator("[data-revoke-question]")
        assert question.is_visible() and "CE1 — famille 1" in question.inner_text()
        for width in (1366, 1024, 360):
            page.set_viewport_size({"width": width, "height": 900})
            shoot(page, f"family-tokens-confirm-{width}")
            assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth"), width
        page.set_viewport_size({"width": 1366, "height": 900})

        row.get_by_role("button", name="Oui, révoquer").click()
        assert row.locator("[data-revoke-pending]").is_visible()
        page.clock.run_for(3000)
        row.get_by_role("link", name="Annuler").click()  # undo: nothing was sent
        page.clock.run_for(10_000)
        assert row.get_by_role("link", name="Révoquer…").is_visible()
        db.session.expire_all()
        assert sharing.live_token(first.token) is not None

        row.get_by_role("link", name="Révoquer…").click()
        row.get_by_role("button", name="Oui, révoquer").click()
        with page.expect_navigation():
            page.clock.run_for(6000)
        assert "Accès révoqué" in page.locator(".flash").inner_text()
        db.session.expire_all()
        assert sharing.live_token(first.token) is None
        assert sharing.live_token(second.token) is not None


def test_letters_go_to_families_in_french_whatever_the_heads_language(
    client: FlaskClient, school: School
) -> None:
    sign_in(client, "head@ecole.fr")
    client.post("/ecole/familles/classe", data={"class_id": class_id(school, "CE1"), "count": ""})
    token = sharing.list_tokens(school)[0]
    page = fetch(client, f"/ecole/familles/lettres?t={token.id}&lang=en").text
    tree = html.fromstring(page)
    assert tree.xpath("string(//h1)").startswith("Letters to families")  # the head's tools
    (letter,) = tree.xpath("//article[contains(@class, 'letter')]")
    assert letter.get("lang") == "fr"  # read aloud in French by a screen reader too
    text = letter.text_content()
    assert "Madame, Monsieur," in text and "Comment s’abonner" in text
    assert "Dear" not in text and "subscribe" not in text.lower()
    assert letter.xpath("string(.//svg/title)") == "QR code du flux des familles"
