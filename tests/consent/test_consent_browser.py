"""The head, in a real chromium, records a class's authorisations and prints its forms."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS, Demo, chromium_path, demo_server
from playwright.sync_api import expect, sync_playwright


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """The demo school served by `webradio run`, stopped afterwards."""
    if chromium_path() is None:
        pytest.skip("no browser installed: chromium was not found (/usr/bin/chromium or PATH)")
    with demo_server(tmp_path) as running:
        yield running


def test_the_head_fills_the_grid_and_prints_one_form_per_pupil(demo: Demo) -> None:
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="fr-FR")
            page.goto(f"{demo.base_url}/connexion")
            page.fill("input[name=email]", demo.head)
            page.fill("input[name=password]", demo.password)
            page.click("main form button[type=submit]")
            page.wait_for_url(f"{demo.base_url}/")
            page.click("text=Gérer les autorisations des familles")
            page.click("text=Saisir les autorisations")
            sacha = page.locator("tr", has=page.locator("th", has_text="Sacha"))
            expect(sacha).to_contain_text("aucune autorisation valable")
            sacha.get_by_label("Sacha — la classe et l’école").check()
            sacha.get_by_label("Sacha — les familles").check()
            sacha.get_by_label("Sacha — signé le").fill("2026-09-15")
            sacha.get_by_label("Sacha — signé par").select_option("2")
            page.click("text=Enregistrer les autorisations")
            expect(page.locator(".flash")).to_contain_text("1 modification")
            expect(sacha).not_to_contain_text("aucune autorisation valable")
            expect(sacha.get_by_label("Sacha — les familles")).to_be_checked()

            page.click("text=Imprimer les formulaires")
            pupils = page.locator(".form-page").count()
            assert pupils == 4
            page.emulate_media(media="print")
            expect(page.locator(".no-print")).to_be_hidden()
            pdf = page.pdf(format="A4")
            assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == pupils  # one page per pupil
        finally:
            browser.close()
