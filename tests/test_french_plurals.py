"""French counts as French does: « 0 élève », « 1 élève », « 2 élèves » (gettext without a
French catalogue applies English's rule and writes « 0 élèves »)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import ngettext, refresh
from web_support import PASSWORD, sign_in

from webradio import schools
from webradio.extensions import db

TRANSLATIONS = Path(__file__).parents[1] / "webradio" / "translations"


def test_zero_and_one_take_the_singular_in_french(app: Flask) -> None:
    with app.test_request_context("/?lang=fr"):
        counted = [ngettext("%(num)d élève", "%(num)d élèves", n) for n in (0, 1, 2, 25)]
    assert counted == ["0 élève", "1 élève", "2 élèves", "25 élèves"]
    with app.test_request_context("/?lang=en"):
        refresh()  # the locale is kept for the app context, which the test holds open
        assert ngettext("%(num)d élève", "%(num)d élèves", 0) == "0 pupils"


def test_a_new_class_reads_zero_pupil_on_the_heads_page(app: Flask, client: FlaskClient) -> None:
    school = schools.create_school("ecole-pluriel", "École du Pluriel")
    schools.create_user("head@pluriel.fr", "head", PASSWORD, school)
    schools.get_or_create_class(school, "CP")
    db.session.commit()
    sign_in(client, "head@pluriel.fr")
    page = client.get("/ecole/eleves").get_data(as_text=True)
    assert "0 élève" in page and "0 élèves" not in page


def test_the_french_catalogue_has_every_plural_of_the_code() -> None:
    """scripts/french_plurals.py was run after the last `pybabel update`."""
    with (TRANSLATIONS / "messages.pot").open("rb") as source:
        wanted = {m.id for m in read_po(source) if m.id and m.pluralizable}
    with (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        french = read_po(source)
    held = {m.id for m in french if m.id and m.pluralizable and all(m.string)}
    assert wanted == held
