"""The consent grid and its class list leave archived pupils and classes out by default; an
archived pupil's record stays on their own page, and saving the grid never touches it."""

from __future__ import annotations

import re

from consent.conftest import grant
from flask import Flask
from flask.testing import FlaskClient
from web_support import PASSWORD, fetch, sign_in

from webradio import clearance, people, schools
from webradio.clock import today_paris
from webradio.extensions import db


def test_archived_pupils_and_classes_leave_the_grid_not_their_records(
    app: Flask, client: FlaskClient
) -> None:
    school = schools.create_school("ecole-archives", "École des Archives")
    schools.create_user("head@archives.fr", "head", PASSWORD, school)
    lea = schools.add_pupil(school, "CM2", "Léa")
    tom = schools.add_pupil(school, "CM2", "Tom")
    zoe = schools.add_pupil(school, "CM1", "Zoé")
    grant(tom, "class,families,public")
    people.archive_pupil(school, tom.id)
    people.archive_classes(school, [zoe.class_id])
    sign_in(client, "head@archives.fr")

    index = fetch(client, "/autorisations/").text
    assert "CM2" in index and "CM1" not in index and "1 classe archivée" in index
    assert "CM1" in fetch(client, "/autorisations/?archives=1").text

    grid = fetch(client, f"/autorisations/classes/{lea.class_id}").text
    assert "Léa" in grid and "Tom" not in grid and "1 élève archivé" in grid
    assert "Tom" not in fetch(client, f"/autorisations/classes/{lea.class_id}/formulaires").text
    with_archives = fetch(client, f"/autorisations/classes/{lea.class_id}?archives=1").text
    assert re.search(r"Tom</a>\s*<br><small>archivé</small>", with_archives)
    assert "Tom" in fetch(client, f"/autorisations/eleves/{tom.id}").text  # his own record

    # Saving the grid as drawn (Léa's row only), then as an older page would (no row marks):
    # Tom's authorisation is not read as withdrawn either way.
    row = {"row": lea.id, f"p-{lea.id}-audiences": "class"}
    signed = {f"p-{lea.id}-signed_on": today_paris().isoformat(), f"p-{lea.id}-guardians": "1"}
    assert (
        client.post(f"/autorisations/classes/{lea.class_id}", data=row | signed).status_code == 302
    )
    assert client.post(f"/autorisations/classes/{lea.class_id}", data=signed).status_code in (
        302,
        400,
    )
    db.session.expire_all()
    kept = clearance.grant_in_force(tom, today_paris())
    assert kept is not None and kept.withdrawn_at is None and "public" in kept.audience_set
