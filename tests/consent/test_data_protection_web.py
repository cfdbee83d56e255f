"""The head exports a pupil's data and erases a pupil from the browser, after a confirmation
that says what will be deleted."""

from __future__ import annotations

import io
import json
import zipfile

from flask.testing import FlaskClient
from web_support import fetch, sign_in

from webradio.extensions import db

from .conftest import World


def test_the_head_exports_then_erases_a_pupil(client: FlaskClient, world: World) -> None:
    page_url = f"/autorisations/eleves/{world.ines.id}"
    sign_in(client, "prof@consent.fr")
    assert fetch(client, page_url + "/export.zip").status_code == 403
    assert client.post(page_url + "/effacement", data={"confirm": "1"}).status_code == 403
    sign_in(client, "head@consent.fr")
    page = fetch(client, page_url).text
    assert "L’effacement est définitif" in page and "prises où parle cet élève (1)" in page
    assert "UTC" not in page and "class,families" not in page  # local times, words
    exported = fetch(client, page_url + "/export.zip")
    assert exported.status_code == 200 and "no-store" in exported.headers["Cache-Control"]
    named = exported.headers["Content-Disposition"]
    assert "donnees-In%C3%A8s-20" in named and world.ines.id not in named  # a name, not an id
    with zipfile.ZipFile(io.BytesIO(exported.data)) as archive:
        data = json.loads(archive.read("eleve.json"))
    assert data["pupil"]["first_name"] == "Inès"
    unticked = client.post(page_url + "/effacement")
    assert unticked.status_code == 400 and world.ines.erased_at is None
    assert client.post(page_url + "/effacement", data={"confirm": "1"}).status_code == 302
    db.session.expire_all()
    assert world.ines.erased_at is not None and world.ines.first_name == "—"
