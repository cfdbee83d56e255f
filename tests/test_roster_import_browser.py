"""In a real chromium: a head creates a class and imports its 25 pupils from the CSV file the
school's administration tools export (SIECLE-like columns, Latin-1, one bad line)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from test_family_letters import axe, browser_on
from web_support import PASSWORD

from webradio import people, schools
from webradio.models import School

# Set WEBRADIO_SHOTS=/some/folder to keep screenshots of each page at three widths.
SHOTS = os.environ.get("WEBRADIO_SHOTS")
FIRST_NAMES = (
    "Adèle", "Aïcha", "Anaïs", "Bastien", "Chloé", "Élise", "Émile", "François", "Gaëlle",
    "Hélène", "Inès", "Jérôme", "Léa", "Lou-Anne", "Maël", "Marie Claire", "Noémie", "Océane",
    "Raphaël", "Sacha", "Thaïs", "Timéo", "Yanis", "Zoé", "N'Golo",
)  # fmt: skip
IN_FRENCH_ORDER = [
    "Adèle", "Aïcha", "Anaïs", "Bastien", "Chloé", "Élise", "Émile", "François", "Gaëlle",
    "Hélène", "Inès", "Jérôme", "Léa", "Lou-Anne", "Maël", "Marie Claire", "N'Golo", "Noémie",
    "Océane", "Raphaël", "Sacha", "Thaïs", "Timéo", "Yanis", "Zoé",
]  # fmt: skip
BAD = "Jean2"
HEADER = (
    "Nom de famille;Nom d'usage;Prénom 1;Prénom 2;Date Naissance;Sexe;Division;"
    "Nom représentant légal;Prénom représentant légal"
)


def siecle_export() -> bytes:
    """A class list as SIECLE exports it: a header, `;`, Windows-1252, CRLF; the 26th pupil's
    first name is mistyped with a digit (line 15 of the file)."""
    lines = [HEADER]
    for number, name in enumerate(FIRST_NAMES, start=1):
        lines.append(f"Durand{number};;{name};Marie;01/02/2016;F;CE2 B;Durand;Sylvie")
        if number == 13:
            lines.append(f"Martin;;{BAD};;03/04/2016;M;CE2 B;Martin;Paul")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


@pytest.fixture
def school(app: Flask) -> School:
    """A school with its head and no class yet."""
    created = schools.create_school("ecole-import", "École de l'Import")
    schools.create_user("head@import.fr", "head", PASSWORD, created)
    return created


def shoot(page: Page, name: str) -> None:
    """Full-page screenshots at 1366, 1024 and 360 px (when asked for); none scrolls sideways."""
    for width in (1366, 1024, 360):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth"), width
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


@pytest.mark.browser
def test_a_head_creates_a_class_and_imports_25_pupils_from_a_siecle_file(
    app: Flask, school: School, browser_path: str, tmp_path: Path
) -> None:
    export = tmp_path / "exportCSVExtraction.csv"
    export.write_bytes(siecle_export())
    viewport = {"width": 1366, "height": 900}
    with browser_on(app, browser_path, "head@import.fr", viewport=viewport) as (context, origin):
        page = context.new_page()
        page.goto(f"{origin}/ecole/eleves")
        page.get_by_label("Nom de la classe").fill("CE2 B")
        page.get_by_role("button", name="Créer la classe").click()
        expect(page.locator(".flash")).to_contain_text("Classe « CE2 B » créée.")

        page.get_by_label("Fichier de la liste (CSV)").set_input_files(export)
        page.get_by_label("Classe des élèves").select_option(label="CE2 B")
        page.get_by_role("button", name="Voir la liste avant d’importer").click()
        expect(page.locator("h1")).to_have_text("Liste de classe à importer")
        summary = page.locator(".roster > p").first
        expect(summary).to_contain_text("25 élèves seront ajoutés.")
        expect(summary).to_contain_text("1 ligne est refusée.")
        said = page.get_by_role("region", name="La ligne refusée")  # on top, before 26 rows
        expect(said).to_contain_text(f"Ligne 15 ({BAD}) : « {BAD} » n'est pas un prénom")
        refused = page.locator("tr.refused")
        expect(refused).to_have_count(1)
        expect(refused).to_contain_text("15")  # the line number in the file
        expect(refused.locator(".reason")).to_contain_text(f"« {BAD} » n'est pas un prénom")
        rows = page.locator("tbody tr")
        expect(rows).to_have_count(26)
        for name in FIRST_NAMES:
            expect(rows.filter(has_text=name).first).to_contain_text("Prêt")
        text = page.locator("main").inner_text()
        assert "Durand" not in text and "Sylvie" not in text and "2016" not in text
        shoot(page, "roster-preview")
        assert axe(page) == []

        page.get_by_label("Importer sans la ligne refusée").check()
        page.get_by_role("button", name="Importer").click()
        done = "25 élèves importés. 1 ligne laissée de côté"
        expect(page.locator(".flash")).to_contain_text(done)
        listed = page.locator("section", has=page.get_by_role("heading", name="CE2 B"))
        expect(listed.get_by_role("heading", name="CE2 B")).to_contain_text("25 élèves")
        shown = listed.locator(".pupils .name").all_inner_texts()
        assert shown == IN_FRENCH_ORDER  # Élise among the E, not after Zoé
        shoot(page, "roster-imported")
        assert axe(page) == []
    on_record = sorted(p.first_name for p in people.list_pupils(school))
    assert on_record == sorted(FIRST_NAMES)
