"""Staff pages on a phone, in chromium: a one-time link's long address wraps and copies in one
tap; the studio button is in sight. Chromium is served by the Flask test client itself."""

from __future__ import annotations

from io import BytesIO

import pytest
from flask.testing import FlaskClient
from web_support import fetch, sign_in

from webradio import schools, takes

from .conftest import Team

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect  # noqa: E402

LONG = "nouvelle.enseignante.de.cm1.bilingue@ecole-elementaire-jules-ferry.example"


def test_a_new_teachers_link_fits_a_phone_and_copies_in_one_tap(
    team: Team, client: FlaskClient, phone: Page
) -> None:
    sign_in(client, "head@equipe.fr")
    phone.goto("https://radio.test/ecole/equipe")
    phone.fill("input[name=email]", LONG)
    with phone.expect_navigation():
        phone.get_by_role("button", name="Créer le compte").click()
    heading = phone.locator("#issued-title")
    assert LONG in heading.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    link = phone.locator("#issued-url").input_value()
    phone.get_by_role("button", name="Copier le lien").click()
    # The status is said once the clipboard has answered (a promise): wait for it.
    expect(phone.locator(".issued [data-copy-status]")).to_have_text("Lien copié.")
    assert phone.evaluate("navigator.clipboard.readText()") == link


def test_a_teacher_on_a_phone_opens_a_studio_without_scrolling_sideways(
    team: Team, client: FlaskClient, phone: Page
) -> None:
    schools.add_pupil(team.school, "CM1 B", "Lou")
    sign_in(client, "prof@equipe.fr")
    phone.goto("https://radio.test/")
    opening = phone.get_by_role("button", name="Ouvrir un studio")
    box = opening.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, box  # in sight, no scroll
    row = phone.locator("tr", has=opening)
    assert "CM1 B" in row.inner_text()
    named = row.locator("td[data-label]").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert '"Code du studio : "' in named  # each cell says what it is
    assert all(label.count(":") == 1 for label in named), named  # one colon, the label's
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    # In English, no French space before the colon ("Studio code : ").
    phone.goto("https://radio.test/?lang=en")
    row = phone.locator("tr", has=phone.get_by_role("button", name="Open a studio"))
    named = row.locator("td[data-label]").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert '"Studio code: "' in named and not any(" :" in label for label in named), named
    assert all(label.count(":") == 1 for label in named), named
    phone.goto("https://radio.test/?lang=fr")


def test_a_take_without_a_title_is_named_in_words_not_by_its_id(
    team: Team, client: FlaskClient
) -> None:
    take = takes.ingest(team.school, BytesIO(b"pas du son"), label="")
    sign_in(client, "prof@equipe.fr")
    page = fetch(client, "/").text
    assert f">{take.id}<" not in page and "Prise sans titre" in page
