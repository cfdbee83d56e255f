"""The path through HTTP: sign in, upload, build, publish, and what each channel answers."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_support import PASSWORD, fetch, post_file, sign_in
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from webradio import authorisations, schools
from webradio.clock import today_paris
from webradio.extensions import db
from webradio.models import Episode, Pupil, School


@pytest.fixture
def school(app: Flask) -> School:
    """A school with a head, a teacher, and two pupils (Léa: public; Inès: families)."""
    created = schools.create_school("ecole-web", "École du Web")
    schools.create_user("head@ecole.fr", "head", PASSWORD, created)
    schools.create_user("prof@ecole.fr", "teacher", PASSWORD, created)
    for name, audiences in (("Léa", "class,families,public"), ("Inès", "class,families")):
        pupil = schools.add_pupil(created, "CM2", name)
        authorisations.grant(
            pupil,
            authorisations.GrantRequest(
                frozenset(audiences.split(",")), signed_on=today_paris(), guardians_signed=1
            ),
        )
    return created


def upload(client: FlaskClient, path: Path, label: str) -> dict[str, str]:
    """Upload a take from the staff page and return its JSON state."""
    response = post_file(client, "/prises/nouvelle", path, label=label)
    assert response.status_code == 201, response.text
    return response.get_json()  # type: ignore[no-any-return]


def state_of(episode_id: str) -> str:
    """The episode's state as the requests left it in the database."""
    db.session.expire_all()
    return db.session.get(Episode, episode_id).state  # type: ignore[union-attr]


def pupil_id(name: str) -> str:
    """The id of the pupil called `name`."""
    return Pupil.query.filter_by(first_name=name).one().id


def build_episode(
    client: FlaskClient, take_id: str, *names: str, audience: str = "public"
) -> Episode:
    """Create an episode from one take with these participants (rendered at once in tests)."""
    response = client.post(
        "/episodes/nouveau",
        data={
            "title": "Le journal du jardin",
            "take_ids": [take_id],
            "audience": audience,
            "participant_ids": [pupil_id(n) for n in names],
        },
    )
    assert response.status_code == 302, response.text
    return Episode.query.order_by(Episode.created_at.desc()).first()  # type: ignore[no-any-return]


def test_staff_pages_need_sign_in(client: FlaskClient, school: School) -> None:
    assert fetch(client, "/").status_code == 302
    assert fetch(client, "/episodes/nouveau").headers["Location"].startswith("/connexion")
    assert (
        client.post("/connexion", data={"email": "head@ecole.fr", "password": "faux"}).status_code
        == 401
    )


def test_forms_need_a_csrf_token(app: Flask, school: School) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post(
        "/connexion", data={"email": "head@ecole.fr", "password": PASSWORD}
    )
    assert response.status_code == 400


def test_from_upload_to_feed_and_withdrawal(
    client: FlaskClient, school: School, take_wav: Path
) -> None:
    sign_in(client, "prof@ecole.fr")
    take = upload(client, take_wav, "Interview")
    assert take["state"] == "ready", take
    episode = build_episode(client, take["id"], "Léa")
    assert episode.state == "ready" and episode.media_key

    # Beyond the class, a teacher only submits; the head approves.
    client.post(f"/episodes/{episode.id}/publier")
    assert state_of(episode.id) == "ready"
    client.post("/deconnexion")
    sign_in(client, "head@ecole.fr")
    assert client.post(f"/episodes/{episode.id}/publier").status_code == 302

    page = fetch(client, "/radio/ecole-web/").text
    assert 'rel="alternate" type="application/rss+xml"' in page
    assert "Le journal du jardin" in page and "<audio" in page
    feed = fetch(client, "/feeds/ecole-web.xml")
    assert feed.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    parsed = feedparser.parse(feed.data)
    assert not parsed.bozo and len(parsed.entries) == 1
    enclosure = parsed.entries[0].enclosures[0]
    media_path = enclosure.href.replace("http://radio.test", "")
    media = fetch(client, media_path)
    assert int(enclosure.length) == len(media.data) == episode.media_size
    assert fetch(client, media_path, headers={"Range": "bytes=0-1"}).status_code == 206
    assert (
        fetch(client, media_path, headers={"Range": f"bytes={len(media.data) + 10}-"}).status_code
        == 416
    )
    assert fetch(client, media_path, method="HEAD").headers["Accept-Ranges"] == "bytes"
    former = media_path.rsplit("/", 1)[0] + "/000000000000.mp3"
    assert fetch(client, former).headers["Location"].endswith(media_path)  # 301 to the current
    assert fetch(client, media_path.rsplit("/", 1)[0] + "/x.mp3").status_code == 404
    assert (
        fetch(
            client, feed.request.path, headers={"If-None-Match": feed.headers["ETag"]}
        ).status_code
        == 304
    )

    authorisations.withdraw(Pupil.query.filter_by(first_name="Léa").one())
    assert fetch(client, f"/radio/ecole-web/episodes/{episode.id}").status_code == 410
    assert "retiré" in fetch(client, f"/radio/ecole-web/episodes/{episode.id}").text
    assert fetch(client, media_path).status_code == 410
    gone = fetch(client, f"/embed/{episode.id}")
    assert gone.status_code == 410 and "à la demande d’une famille" in gone.text
    assert feedparser.parse(fetch(client, "/feeds/ecole-web.xml").data).entries == []


def test_never_public_episode_is_not_found(
    client: FlaskClient, school: School, take_wav: Path
) -> None:
    sign_in(client, "head@ecole.fr")
    take = upload(client, take_wav, "Pour les familles")
    episode = build_episode(client, take["id"], "Inès")
    client.post(f"/episodes/{episode.id}/publier")
    assert state_of(episode.id) == "published"
    assert fetch(client, f"/radio/ecole-web/episodes/{episode.id}").status_code == 404
    assert fetch(client, f"/embed/{episode.id}").status_code == 404
    assert (
        fetch(client, f"/media/{episode.id}/{Path(episode.media_key or '').stem}.mp3").status_code
        == 404
    )
    assert "Inès" in fetch(client, f"/episodes/{episode.id}").text  # staff see who blocks it


def test_bad_upload_fails_visibly_and_keeps_the_original(
    client: FlaskClient, school: School, tmp_path: Path, app: Flask
) -> None:
    sign_in(client, "prof@ecole.fr")
    fake = tmp_path / "devoir.mp3"
    fake.write_text("pas du son")
    take = upload(client, fake, "Mauvais fichier")
    assert take["state"] == "failed"
    assert "lisible" in take["failure_reason"] or "audio" in take["failure_reason"]
    kept = list((Path(app.config["MEDIA_ROOT"]) / "takes").iterdir())
    assert [p.read_bytes() for p in kept] == [b"pas du son"]


def test_upload_over_the_limit_is_refused_in_words(
    app: Flask, school: School, tmp_path: Path
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    client = app.test_client()
    sign_in(client, "prof@ecole.fr")
    big = tmp_path / "long.wav"
    big.write_bytes(b"\0" * 4096)
    response = post_file(client, "/prises/nouvelle", big)
    assert response.status_code == 413
    assert "trop gros" in response.get_json()["error"]


def test_studio_code_opens_one_class_and_expires(
    client: FlaskClient, school: School, take_wav: Path
) -> None:
    school_class = school.classes[0]
    code = schools.open_studio(school_class)
    page = fetch(client, f"/studio/{code}")
    assert page.status_code == 200 and school_class.label in page.text
    assert post_file(client, f"/studio/{code}/prises", take_wav).status_code == 201
    schools.close_studio(school_class)
    assert fetch(client, f"/studio/{code}").status_code == 404
    assert fetch(client, "/").status_code == 302  # the studio gives no staff access


def test_english_is_available(client: FlaskClient, school: School) -> None:
    assert "Connexion" in fetch(client, "/connexion").text
    english = fetch(client, "/connexion?lang=en").text
    assert 'lang="en"' in english and "Connexion" not in english
    assert "Sign in" in english
    assert "Sign in" in fetch(client, "/connexion").text  # the choice is kept for the visit


def test_sign_in_and_studio_codes_are_rate_limited(client: FlaskClient, school: School) -> None:
    for _ in range(10):
        assert (
            client.post("/connexion", data={"email": "x@y.fr", "password": "faux"}).status_code
            == 401
        )
    refused = client.post("/connexion", data={"email": "head@ecole.fr", "password": PASSWORD})
    assert refused.status_code == 429 and "Trop d’essais" in refused.text
    for _ in range(20):
        fetch(client, "/studio/zzzzzz")
    assert fetch(client, "/studio/zzzzzz").status_code == 429


def test_public_answers_do_not_vary_by_cookie(client: FlaskClient, school: School) -> None:
    feed = fetch(client, "/feeds/ecole-web.xml")
    assert "Cookie" not in feed.headers.get("Vary", "") and "Set-Cookie" not in feed.headers


def test_names_in_typed_text_are_whole_words(app: Flask) -> None:
    from webradio.names import find

    assert find({"title": "Interview de Léa au jardin"}, [("p", "léa")])
    assert not find({"title": "Le Léanore du jardin"}, [("p", "Léa")])


def test_roles_are_enforced(client: FlaskClient, school: School) -> None:
    schools.create_user("dsi@ville.fr", "city-admin", PASSWORD, None)
    sign_in(client, "dsi@ville.fr")
    assert fetch(client, "/").headers["Location"] == "/ville"
    assert "École du Web" in fetch(client, "/ville").text
    assert fetch(client, "/episodes/nouveau").status_code == 403
    client.post("/deconnexion")
    sign_in(client, "prof@ecole.fr")
    assert fetch(client, "/ville").status_code == 403


def test_the_head_reviews_with_one_publish_button_and_numbers_read_in_each_language(
    client: FlaskClient, school: School, take_wav: Path
) -> None:
    sign_in(client, "prof@ecole.fr")
    take = upload(client, take_wav, "Interview")
    episode = build_episode(client, take["id"], "Léa")
    client.post(f"/episodes/{episode.id}/publier")
    sign_in(client, "head@ecole.fr")

    page = fetch(client, f"/episodes/{episode.id}?lang=fr").text
    assert "Valider et publier" in page and ">Publier<" not in page  # one way to publish
    review = page.split('class="review"', 1)[1].split("</form>", 1)[0]
    assert '<textarea name="comment" rows="3" required>' in review  # refusing asks why...
    assert 'value="approve" formnovalidate' in review  # ...approving does not

    lufs = re.search(r"Volume final : (\S+) LUFS, crête (\S+) dBTP", page)
    assert lufs and "," in lufs.group(1) and "." not in lufs.group(1) + lufs.group(2)
    english = fetch(client, f"/episodes/{episode.id}?lang=en").text
    assert re.search(r"-?\d+\.\d LUFS", english), english
    assert re.search(r"<td>\d+,\d s</td>", fetch(client, "/?lang=fr").text)
    assert re.search(r"<td>\d+\.\d s</td>", fetch(client, "/?lang=en").text)


def test_the_language_links_keep_the_page_and_never_lead_to_a_405(
    client: FlaskClient, school: School
) -> None:
    assert 'href="?lang=en"' in fetch(client, "/connexion").text  # a plain page: as before
    sign_in(client, "head@ecole.fr")
    letters = fetch(client, "/ecole/eleves?archives=1&lang=fr").text
    assert 'href="?archives=1&amp;lang=en"' in letters  # the query stays, one lang only
    here = "http://localhost/ecole/eleves?archives=1&lang=en"
    posted = client.post("/ecole/eleves/classes", data={"label": ""}, headers={"Referer": here})
    assert posted.status_code == 400  # the page shown again, with the refusal
    assert 'href="/ecole/eleves?archives=1&amp;lang=fr"' in posted.text  # back where it was
    elsewhere = client.post(
        "/ecole/eleves/classes", data={"label": ""}, headers={"Referer": "https://ailleurs.fr/"}
    )
    assert 'href="/?lang=en"' in elsewhere.text  # never another site: the dashboard
    assert fetch(client, "/ecole/eleves?archives=1&lang=en").status_code == 200


def test_opening_a_form_only_address_answers_a_french_page(
    client: FlaskClient, school: School
) -> None:
    sign_in(client, "head@ecole.fr")
    opened = client.get("/ecole/eleves/classes")  # a form's address typed or bookmarked
    assert opened.status_code == 405 and "POST" in opened.headers["Allow"]
    assert "Cette adresse sert à envoyer un formulaire" in opened.text
    assert "Method Not Allowed" not in opened.text
    english = client.get("/ecole/eleves/classes?lang=en")
    assert english.status_code == 405 and "Method Not Allowed" not in english.text


EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf]")


def test_pages_draw_no_emoji_that_a_school_computer_shows_as_a_box(
    client: FlaskClient, school: School
) -> None:
    assert not EMOJI.findall(fetch(client, "/connexion").text)
    sign_in(client, "head@ecole.fr")
    for path in ("/", "/ecole/eleves", "/ecole/familles", "/ecole/reglages"):
        assert not EMOJI.findall(fetch(client, path).text), path


def test_sign_in_forms_refuse_a_body_past_a_few_kilobytes_in_french(
    client: FlaskClient, school: School
) -> None:
    boundary, body = encode_multipart(
        {"email": "head@ecole.fr", "password": PASSWORD, "x": FileStorage(BytesIO(b"\0" * 65536))}
    )
    for path in ("/connexion", "/connexion/oubli", "/compte/mot-de-passe/inconnu"):
        refused = client.post(
            path, data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )
        assert refused.status_code == 413, path
        assert "Ce formulaire est trop long" in refused.text and "fichier" not in refused.text
    unsized = client.post(  # chunked: no length announced, the reading stops at the cap
        "/connexion",
        input_stream=BytesIO(body),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert unsized.status_code == 413 and "Ce formulaire est trop long" in unsized.text
    english = client.post(
        "/connexion?lang=en", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert english.status_code == 413 and "<html" in english.text
    sign_in(client, "head@ecole.fr")  # an ordinary sign-in form goes through
