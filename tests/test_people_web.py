"""The head's people page: classes and pupils in the browser, and a class list imported from CSV."""

from __future__ import annotations

import html
import re
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_support import PASSWORD, fetch, sign_in

from webradio import people, schools
from webradio.clock import now_utc
from webradio.errors import WebradioError
from webradio.extensions import db
from webradio.models import Pupil, School, SchoolClass

PAGE = "/ecole/eleves"


@pytest.fixture
def school(app: Flask) -> School:
    """A school with its head, a teacher, a class CM2 with Inès, and another school."""
    created = schools.create_school("ecole-eleves", "École des Élèves")
    schools.create_user("head@ecole.fr", "head", PASSWORD, created)
    schools.create_user("prof@ecole.fr", "teacher", PASSWORD, created)
    schools.add_pupil(created, "CM2", "Inès")
    other = schools.create_school("autre-ecole", "Autre École")
    schools.create_user("head@autre.fr", "head", PASSWORD, other)
    schools.add_pupil(other, "CP", "Gaspard")
    return created


def shown(client: FlaskClient, path: str = PAGE) -> str:
    """The page's text as a reader sees it (entities decoded)."""
    response = fetch(client, path)
    assert response.status_code == 200
    return html.unescape(response.text)


def refusal(client: FlaskClient, path: str, data: dict[str, str], status: int) -> str:
    """Post a change the page must refuse; the page shown again, as a reader sees it."""
    response = client.post(path, data=data)
    assert response.status_code == status, response.text
    return html.unescape(response.text)


def class_id(school: School, label: str) -> str:
    """The id of the school's class with this label."""
    return next(c.id for c in people.list_classes(school) if c.label == label)


def names_by_class(school: School) -> dict[str, list[str]]:
    """What the database holds for the school: class label -> first names on record."""
    db.session.expire_all()
    found: dict[str, list[str]] = {c.label: [] for c in people.list_classes(school)}
    for row in people.list_pupils(school):
        found[row.class_label].append(row.first_name)
    return found


def upload(client: FlaskClient, data: bytes, class_id: str = "") -> str:
    """Post a class list to the preview; the preview page's text."""
    response = client.post(
        f"{PAGE}/import",
        data={"file": (BytesIO(data), "liste.csv"), "class_id": class_id},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.text
    return html.unescape(response.text)


def hidden_lines(page: str) -> dict[str, list[str]]:
    """The preview's form as the browser would post it back."""
    return {
        "first_name": re.findall(r'name="first_name" value="([^"]*)"', page),
        "class_label": re.findall(r'name="class_label" value="([^"]*)"', page),
    }


def test_the_head_manages_classes_and_pupils(client: FlaskClient, school: School) -> None:
    sign_in(client, "head@ecole.fr")
    dashboard = fetch(client, "/")
    assert PAGE in dashboard.text
    page = fetch(client, PAGE)
    assert page.status_code == 200 and "Inès" in page.text and "CM2" in page.text
    assert "Gaspard" not in page.text  # another school's pupils are never shown

    assert client.post(f"{PAGE}/classes", data={"label": " CM1  B "}).status_code == 302
    cm1 = class_id(school, "CM1 B")
    cm2 = class_id(school, "CM2")
    client.post(f"{PAGE}/classes/{cm1}/nom", data={"label": "CM1 A"})
    client.post(f"{PAGE}/classes/{cm1}/eleves", data={"first_name": "Lou-Anne"})
    ines = next(p for p in people.list_pupils(school) if p.first_name == "Inès")
    client.post(f"{PAGE}/{ines.id}/prenom", data={"first_name": "Inès Maria"})
    client.post(f"{PAGE}/{ines.id}/classe", data={"class_id": cm1})
    assert names_by_class(school) == {"CM1 A": ["Inès Maria", "Lou-Anne"], "CM2": []}

    text = shown(client)
    assert "Inès Maria est maintenant en CM1 A." in text
    in_urls = text.replace(f"/ecole/eleves/{ines.id}/", "").replace(
        f"/autorisations/eleves/{ines.id}", ""
    )
    assert ines.id not in in_urls  # ids only in URLs
    assert cm2 in text  # the move select holds class ids as values, not as words


def test_refusals_are_said_in_french_and_change_nothing(
    client: FlaskClient, school: School
) -> None:
    sign_in(client, "head@ecole.fr")
    cm2 = class_id(school, "CM2")
    ines = people.list_pupils(school)[0]
    refused = refusal(client, f"{PAGE}/{ines.id}/prenom", {"first_name": "Zoé2"}, 400)
    assert "« Zoé2 » n'est pas un prénom" in refused
    (marked,) = re.findall(r'<input[^>]*aria-invalid="true"[^>]*>', refused)
    assert 'value="Zoé2"' in marked and 'name="first_name"' in marked  # what was typed stays
    (holding,) = [f for f in re.findall(r"<form.*?</form>", refused, re.S) if marked in f]
    assert "n'est pas un prénom" in holding  # the reason is said next to the field
    refused = refusal(client, f"{PAGE}/classes/{cm2}/eleves", {"first_name": "Dupont\tMarie"}, 400)
    assert "n'est pas un prénom" in refused
    refused = refusal(client, f"{PAGE}/classes", {"label": "CM2"}, 400)
    assert "Il y a déjà une classe « CM2 »" in refused
    (marked,) = re.findall(r'<input[^>]*aria-invalid="true"[^>]*>', refused)
    assert 'id="new-class"' in marked
    assert names_by_class(school) == {"CM2": ["Inès"]}
    assert "n'est pas un prénom" not in shown(client)  # a refusal is said once, where it happened


def test_another_schools_pupils_and_erased_pupils_are_out_of_reach(
    client: FlaskClient, school: School
) -> None:
    other = schools.get_school("autre-ecole")
    gaspard = people.list_pupils(other)[0]
    sign_in(client, "head@ecole.fr")
    attempts = [
        (f"{PAGE}/{gaspard.id}/prenom", {"first_name": "Paul"}),
        (f"{PAGE}/{gaspard.id}/classe", {"class_id": class_id(school, "CM2")}),
        (f"{PAGE}/classes/{gaspard.class_id}/nom", {"label": "Piratée"}),
        (f"{PAGE}/classes/{gaspard.class_id}/eleves", {"first_name": "Intrus"}),
    ]
    for path, data in attempts:
        refused = refusal(client, path, data, 404)
        assert "n'existe pas (ou plus) dans votre école." in refused
        assert gaspard.class_id not in refused and gaspard.id not in refused  # never an id
        assert "Gaspard" not in refused
    assert names_by_class(other) == {"CP": ["Gaspard"]}

    ines = db.session.get(Pupil, people.list_pupils(school)[0].id)
    assert ines is not None
    ines.erased_at = now_utc()
    db.session.commit()
    assert "Inès" not in shown(client)
    refusal(client, f"{PAGE}/{ines.id}/prenom", {"first_name": "Revenue"}, 404)
    db.session.expire_all()
    assert db.session.get(Pupil, ines.id).first_name == "Inès"  # type: ignore[union-attr]


def test_only_the_head_reaches_the_page(client: FlaskClient, school: School) -> None:
    sign_in(client, "prof@ecole.fr")
    assert fetch(client, PAGE).status_code == 403
    assert client.post(f"{PAGE}/classes", data={"label": "CE1"}).status_code == 403
    cm2 = class_id(school, "CM2")
    assert (
        client.post(f"{PAGE}/classes/{cm2}/eleves", data={"first_name": "Léo"}).status_code == 403
    )
    assert names_by_class(school) == {"CM2": ["Inès"]}


ONDE = (
    "Nom;Prénom;Date de naissance;Classe\r\n"
    "Dupont;Lou-Anne;03/02/2015;CE2\r\n"
    "\r\n"
    "Martin;Zoé2;12/11/2015;CE2\r\n"
    "Lefèvre;Élodie;01/01/2015;CM2\r\n"
).encode("cp1252")


def test_a_class_list_is_previewed_then_imported_without_surnames(
    client: FlaskClient, school: School
) -> None:
    sign_in(client, "head@ecole.fr")
    preview = upload(client, ONDE)
    assert "Lou-Anne" in preview and "Élodie" in preview
    assert "« Zoé2 » n'est pas un prénom" in preview
    for surname in ("Dupont", "Martin", "Lefèvre", "03/02/2015"):
        assert surname not in preview
    assert names_by_class(school) == {"CM2": ["Inès"]}  # a preview stores nothing

    lines = hidden_lines(preview)
    refused = client.post(f"{PAGE}/import/confirmer", data=lines)
    assert refused.status_code == 302
    assert "Aucun élève n'a été ajouté" in shown(client)
    assert names_by_class(school) == {"CM2": ["Inès"]}  # all or nothing

    client.post(f"{PAGE}/import/confirmer", data={**lines, "skip_refused": "1"})
    assert (
        "2 élèves importés. 1 ligne laissée de côté : ajoutez cet élève à la main dans sa classe."
        in shown(client)
    )
    assert names_by_class(school) == {"CE2": ["Lou-Anne"], "CM2": ["Élodie", "Inès"]}

    again = upload(client, ONDE.replace(b"Lou-Anne", b"Lou Anne"))  # the same list, once more
    assert "2 élèves sont déjà inscrits." in again and "0 élève" not in again
    client.post(f"{PAGE}/import/confirmer", data={**hidden_lines(again), "skip_refused": "1"})
    assert "Aucun nouvel élève. 2 déjà inscrits dans leur classe, laissés tels quels." in shown(
        client
    )
    assert names_by_class(school) == {"CE2": ["Lou-Anne"], "CM2": ["Élodie", "Inès"]}
    stored = db.session.query(Pupil.first_name).all() + db.session.query(SchoolClass.label).all()
    assert not any("Dupont" in v or "Martin" in v for (v,) in stored)


def test_a_list_without_class_column_goes_to_the_chosen_class(
    client: FlaskClient, school: School
) -> None:
    sign_in(client, "head@ecole.fr")
    data = "\ufeffNOM,PRENOM\r\nDurand,Anne Marie\r\n".encode()
    preview = upload(client, data, class_id=class_id(school, "CM2"))
    client.post(f"{PAGE}/import/confirmer", data=hidden_lines(preview))
    assert names_by_class(school) == {"CM2": ["Anne Marie", "Inès"]}


def test_a_list_without_class_column_asks_for_the_class_once(
    client: FlaskClient, school: School
) -> None:
    """Not 25 lines refused one by one: the page says once to choose the class."""
    sign_in(client, "head@ecole.fr")
    data = "\ufeffNOM;PRENOM\r\nDurand;Anne\r\nMartin;Louis\r\n".encode()
    response = client.post(
        f"{PAGE}/import",
        data={"file": (BytesIO(data), "liste.csv"), "class_id": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    text = shown(client)
    assert "Ce fichier n'a pas de colonne « Classe » ni « Division »" in text
    assert "Anne" not in text and names_by_class(school) == {"CM2": ["Inès"]}


def test_an_unreadable_file_is_refused_with_the_reason(client: FlaskClient, school: School) -> None:
    sign_in(client, "head@ecole.fr")
    response = client.post(
        f"{PAGE}/import",
        data={"file": (BytesIO(b"Nom;Classe\r\nDupont;CM2\r\n"), "liste.csv"), "class_id": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    text = shown(client)
    assert "Aucune colonne « Prénom »" in text and "Dupont" not in text


FIRST_NAMES = [
    "Adèle",
    "Agathe",
    "Ambre",
    "Anaïs",
    "Arthur",
    "Basile",
    "Camille",
    "Chloé",
    "Élise",
    "Émile",
    "Gabriel",
    "Hugo",
    "Inaya",
    "Jade",
    "Jules",
    "Léna",
    "Lucas",
    "Maël",
    "Manon",
    "Nathan",
    "Noémie",
    "Oscar",
    "Rose",
    "Sacha",
    "Timéo",
]


def test_a_head_creates_a_class_and_imports_25_pupils(client: FlaskClient, school: School) -> None:
    sign_in(client, "head@ecole.fr")
    client.post(f"{PAGE}/classes", data={"label": "CE1 B"})
    lines = ["NOM;PRENOM;DATE NAISS;ADRESSE"] + [
        f"Famille{n};{name};01/01/2018;{n} rue des Écoles" for n, name in enumerate(FIRST_NAMES)
    ]
    data = "\r\n".join(lines).encode("utf-8-sig")
    preview = upload(client, data, class_id=class_id(school, "CE1 B"))
    assert "25 élèves seront ajoutés." in preview and "refusée" not in preview
    assert "Famille" not in preview and "rue des" not in preview
    client.post(f"{PAGE}/import/confirmer", data=hidden_lines(preview))
    in_order = sorted(FIRST_NAMES, key=people.reading_order)  # as a French reader files them
    assert names_by_class(school) == {"CE1 B": in_order, "CM2": ["Inès"]}
    page = shown(client)
    assert "25 élèves importés." in page and "CE1 B (25 élèves)" in re.sub(r"<[^>]+>", "", page)


def test_import_is_all_or_nothing_classes_included(school: School) -> None:
    lines = [("Léo", "CP A"), ("Léo", "CP A"), ("Zoé2", "CP B"), ("Inès", "CM2")]
    with pytest.raises(WebradioError, match="1 ligne"):
        people.import_roster(school, lines)
    assert names_by_class(school) == {"CM2": ["Inès"]}  # no pupil, no new class

    result = people.import_roster(school, lines, skip_refused=True)
    assert [p.first_name for p in result.added] == ["Léo", "Léo"] and result.already == 1
    assert names_by_class(school) == {"CM2": ["Inès"], "CP A": ["Léo", "Léo"]}


def test_a_pupils_panel_leads_to_export_and_erasure_and_reads_french(
    client: FlaskClient, school: School
) -> None:
    sign_in(client, "head@ecole.fr")
    ines = next(p for p in people.list_pupils(school) if p.first_name == "Inès")
    page = shown(client)
    panel = page.split('<span class="name">Inès</span>', 1)[1].split("</details>", 1)[0]
    link = re.search(r'<a href="([^"]+)">([^<]+)<span class="visually-hidden"> Inès', panel)
    assert link and link.group(1) == f"/autorisations/eleves/{ines.id}"
    assert link.group(2) == "Autorisations et données (exporter, effacer)"
    assert "Exporter ses données" in shown(client, link.group(1))
    assert "de Inès" not in page  # « Prénom corrigé (Inès) », never « de Inès »
    client.post(f"{PAGE}/classes/{class_id(school, 'CM2')}/eleves", data={"first_name": "Zoé"})
    assert "Zoé fait maintenant partie de la classe." in shown(client)  # no « ajouté(e) »


def test_a_line_repeated_in_the_export_adds_one_pupil_and_two_namesakes_two(
    client: FlaskClient, school: School
) -> None:
    """An ONDE-like export in Latin-1: a blank line, then the same child's line twice (same
    surname, same birth date): one Chloé. Two children who share a first name stay two."""
    sign_in(client, "head@ecole.fr")
    lines = [
        "Liste des élèves - École des Élèves",
        "",
        "Nom;Prénom;Date de naissance;Classe",
        "MARTIN;Chloé;03/04/2016;CE2 B",
        "",
        "PETIT;Zoé;05/06/2016;CE2 B",
        "MARTIN ; Chloé ;03/04/2016;CE2 B",
        "DURAND;Zoé;07/08/2016;CE2 B",
    ]
    preview = upload(client, "\r\n".join(lines).encode("latin-1"))
    assert "3 élèves seront ajoutés." in preview and "refusée" not in preview
    assert "Ligne 7 : la même que la ligne 4 (Chloé, CE2 B), lue une fois." in preview
    assert "MARTIN" not in preview and "2016" not in preview
    assert hidden_lines(preview)["first_name"] == ["Chloé", "Zoé", "Zoé"]
    client.post(f"{PAGE}/import/confirmer", data=hidden_lines(preview))
    assert names_by_class(school)["CE2 B"] == ["Chloé", "Zoé", "Zoé"]


def test_a_list_of_first_names_alone_keeps_two_children_of_the_same_name(
    client: FlaskClient, school: School
) -> None:
    """Without a surname or a date on the line, nothing tells a repeat from a namesake."""
    sign_in(client, "head@ecole.fr")
    preview = upload(client, "\ufeffPRENOM;DIVISION\nZoé;CE2 B\nZoé;CE2 B\n\n".encode())
    assert "2 élèves seront ajoutés." in preview and "en double" not in preview
