"""The head's pages: the grid, withdrawals, history, scans, forms, episodes in words."""

from __future__ import annotations

from io import BytesIO

from flask.testing import FlaskClient
from web_support import PASSWORD, sign_in
from werkzeug.test import TestResponse

from webradio import authorisations, publication, schools
from webradio.clock import school_year_end, today_paris
from webradio.consent import parse_audiences
from webradio.extensions import db
from webradio.models import ConsentEvent, Pupil, TakeSpeaker

from .conftest import World


def get(client: FlaskClient, path: str) -> TestResponse:
    """GET `path`, read and close the answer."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def row(pupil: Pupil, audiences: str, **fields: object) -> dict[str, object]:
    """One pupil's row of the grid as form fields."""
    prefix = f"p-{pupil.id}-"
    data: dict[str, object] = {prefix + "audiences": audiences.split(",") if audiences else []}
    data.update({prefix + k: v for k, v in fields.items()})
    return data


def test_the_grid_records_new_grants_amendments_and_withdrawals_in_one_go(
    client: FlaskClient, world: World
) -> None:
    new = schools.add_pupil(world.school, "CM2", "Noé")
    sign_in(client, "head@consent.fr")
    class_id = world.lea.class_id
    page = client.get(f"/autorisations/classes/{class_id}")
    assert page.status_code == 200 and "Noé" in page.text
    assert f'value="{school_year_end(today_paris()).isoformat()}"' in page.text
    signed = today_paris().isoformat()
    form = (
        row(new, "families,public", signed_on=signed, guardians="2", assent="1")
        | row(world.lea, "class,families", credit="1")  # amendment: public dropped
        | row(world.ines, "")  # all unchecked: total withdrawal
    )
    form[f"p-{new.id}-scan"] = (BytesIO(b"%PDF-1.4 signed form"), "form.pdf")
    saved = client.post(f"/autorisations/classes/{class_id}", data=form)
    assert saved.status_code == 302
    db.session.expire_all()
    (noe,) = new.grants
    assert noe.audience_set == {"families", "public"} and noe.guardians_signed == 2
    assert noe.pupil_assent is True and noe.scan_key and noe.signed_on == today_paris()
    assert [e.kind for e in world.lea.grants[0].events] == ["granted", "amended"]
    assert world.ines.grants[0].withdrawn_at is not None
    head_id = ConsentEvent.query.filter_by(kind="amended").one().actor_id
    assert head_id is not None
    scan = get(client, f"/autorisations/eleves/{new.id}/formulaire-signe")
    assert scan.status_code == 200 and scan.mimetype == "application/pdf"
    assert "no-store" in scan.headers["Cache-Control"]
    again = client.post(f"/autorisations/classes/{class_id}", data=form | {f"p-{new.id}-scan": ""})
    assert again.status_code == 302
    assert ConsentEvent.query.count() == 5  # 2 granted at setup, 3 recorded here; none again


def test_a_new_grant_needs_its_signature_facts_and_nothing_is_saved_otherwise(
    client: FlaskClient, world: World
) -> None:
    new = schools.add_pupil(world.school, "CM2", "Noé")
    sign_in(client, "head@consent.fr")
    form = row(world.lea, "class") | row(new, "class,families")
    refused = client.post(f"/autorisations/classes/{world.lea.class_id}", data=form)
    assert refused.status_code == 400 and "Noé" in refused.text
    db.session.expire_all()
    assert world.lea.grants[0].audience_set == {"class", "families", "public"}
    too_late = row(
        new, "class", signed_on=today_paris().isoformat(), guardians="1", until="2099-01-01"
    )
    assert client.post(f"/autorisations/classes/{new.class_id}", data=too_late).status_code == 400


def test_only_the_head_of_the_school_sees_authorisations(client: FlaskClient, world: World) -> None:
    other = schools.create_school("autre", "Autre école")
    schools.create_user("head@autre.fr", "head", PASSWORD, other)
    sign_in(client, "prof@consent.fr")
    assert get(client, f"/autorisations/classes/{world.lea.class_id}").status_code == 403
    assert get(client, f"/autorisations/eleves/{world.lea.id}").status_code == 403
    client.post("/deconnexion")
    sign_in(client, "head@autre.fr")
    assert get(client, f"/autorisations/classes/{world.lea.class_id}").status_code == 404
    assert get(client, f"/autorisations/eleves/{world.lea.id}").status_code == 404


def test_withdrawal_page_and_history(client: FlaskClient, world: World) -> None:
    sign_in(client, "head@consent.fr")
    answer = client.post(
        f"/autorisations/eleves/{world.ines.id}/retrait", data={"audiences": "public"}
    )
    assert answer.status_code == 302
    page = client.get(f"/autorisations/eleves/{world.ines.id}")
    assert "retrait" in page.text and "class,families,public" not in page.text  # words, no codes
    assert "la classe et l’école, les familles, le public" in page.text
    assert "les familles" in page.text
    db.session.expire_all()
    assert world.ines.grants[0].audience_set == {"class", "families"}


def test_printable_forms_carry_the_model_form_fields(client: FlaskClient, world: World) -> None:
    sign_in(client, "head@consent.fr")
    page = client.get(f"/autorisations/classes/{world.lea.class_id}/formulaires")
    assert page.status_code == 200
    for words in ("Objet", "Lieux de diffusion", "Durée", "Gratuité", "Retrait",
                  "Responsable du traitement", "Contact", "31/08/", "Léa", "Inès",
                  "consent-print.css"):  # fmt: skip
        assert words in page.text, words
    assert page.text.count('class="form-page"') == 2


def test_the_episode_page_says_per_audience_why_and_who_blocks(
    client: FlaskClient, world: World
) -> None:
    publication.publish(world.episode, approved_by=None)
    authorisations.withdraw(world.ines, parse_audiences("public"))
    sign_in(client, "prof@consent.fr")
    page = client.get(f"/autorisations/episodes/{world.episode.id}")
    assert "Inès : pas d’autorisation pour le public" in page.text
    assert "bloqué par Inès" in page.text and "bloqué par Léa" not in page.text
    assert "Non demandé" in page.text  # directories
    staff = client.get(f"/episodes/{world.episode.id}")
    assert "Autorisations, public par public" in staff.text and "bloqué par Inès" in staff.text


def test_staff_declare_who_speaks_in_each_part(client: FlaskClient, world: World) -> None:
    sign_in(client, "prof@consent.fr")
    first, second = world.episode.parts
    answer = client.post(
        f"/episodes/{world.episode.id}/voix",
        data={f"part-{first.id}": [world.lea.id, world.ines.id], f"part-{second.id}": []},
    )
    assert answer.status_code == 302
    rows = {(r.take_id, r.pupil_id) for r in TakeSpeaker.query.all()}
    assert rows == {(first.take_id, world.lea.id), (first.take_id, world.ines.id)}
