"""Takes and episodes on the staff side: sound reports, waveform peaks, jingles, trimmed parts,
chapters in the master's timeline, and the tags read back by ffprobe."""

from __future__ import annotations

import html
import json
import shutil
import subprocess
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_support import PASSWORD, fetch, post_file, sign_in

from webradio import runtime, schools
from webradio.audio.analyse import Analysis
from webradio.audio.clips import make_jingle
from webradio.audio.ffmpeg import find_ffmpeg
from webradio.audio.meter import Loudness
from webradio.audio.render import PartSource
from webradio.audio.render import _result as render_result
from webradio.audio.tags import read_tags
from webradio.errors import FfmpegError
from webradio.extensions import db
from webradio.models import Episode, School, Take


@pytest.fixture
def school(app: Flask) -> School:
    """A school with a head and a teacher, and a second school with its own teacher."""
    created = schools.create_school("ecole-son", "École du Son")
    schools.create_user("head@son.fr", "head", PASSWORD, created)
    schools.create_user("prof@son.fr", "teacher", PASSWORD, created)
    other = schools.create_school("ecole-autre", "École d'à côté")
    schools.create_user("prof@autre.fr", "teacher", PASSWORD, other)
    return created


def upload(client: FlaskClient, path: Path, label: str) -> str:
    """Upload a take from the staff page; its id."""
    response = post_file(client, "/prises/nouvelle", path, label=label)
    assert response.status_code == 201, response.text
    return str(response.get_json()["id"])


def test_a_take_gets_its_report_and_its_peaks(
    client: FlaskClient, school: School, take_wav: Path
) -> None:
    sign_in(client, "prof@son.fr")
    take_id = upload(client, take_wav, "Interview")
    state = client.get(f"/prises/{take_id}/etat").get_json()
    assert state["state"] == "ready"
    report = state["report"]
    assert report["advice"] and all(line[0].isupper() for line in report["advice"])
    labels = [f["label"] for f in report["figures"]]
    assert "Volume moyen" in labels and "Bruit de fond" in labels and "Crête" in labels
    # Saturation counts the tenths of a second that touch the top, not the samples there.
    hints = {f["label"]: f["hint"] for f in report["figures"]}
    assert hints["Saturation"] == "durée des passages où le son touche le maximum"
    assert any(f["value"].endswith("LUFS") for f in report["figures"])
    assert all("." not in f["value"] for f in report["figures"])  # French decimals: 42,5 s
    english = client.get(f"/prises/{take_id}/etat?lang=en").get_json()["report"]["figures"]
    assert all("," not in f["value"] for f in english), english  # English ones: 42.5 s
    client.get(f"/prises/{take_id}/etat?lang=fr")  # the choice is kept: back to French

    peaks = client.get(f"/son/prises/{take_id}/onde.json")
    document = json.loads(peaks.get_data())
    peaks.close()
    assert document["step_s"] == 0.1
    assert len(document["max"]) == len(document["min"]) >= 10 * 9  # ten a second
    assert max(document["max"]) > 0.05 and min(document["min"]) < -0.05
    assert all(0.0 <= v <= 1.0 for v in document["max"])

    # The dashboard and the studio show the report in words.
    page = fetch(client, "/").text
    assert "Le son des dernières prises" in page and "Mesures pour l’enseignant" in page

    # Another school's staff, or nobody signed in, gets nothing.
    sign_in(client, "prof@autre.fr")
    assert fetch(client, f"/son/prises/{take_id}/onde.json").status_code == 404
    client.post("/deconnexion")
    assert fetch(client, f"/son/prises/{take_id}/onde.json").status_code in {302, 401}


def test_a_bad_upload_is_reported_in_words(
    client: FlaskClient, school: School, tmp_path: Path
) -> None:
    sign_in(client, "prof@son.fr")
    bad = tmp_path / "notes.mp3"
    bad.write_text("Ceci n'est pas un son.\n" * 20, encoding="utf-8")
    take_id = upload(client, bad, "Raté")
    state = client.get(f"/prises/{take_id}/etat").get_json()
    assert state["state"] == "failed" and "report" not in state
    assert "pas un enregistrement audio" in state["failure_reason"]
    assert fetch(client, f"/son/prises/{take_id}/onde.json").status_code == 404
    assert "n’a pas pu être traitée" in fetch(client, "/").text


def test_a_refused_take_is_told_in_the_readers_language_with_no_useless_retry(
    app: Flask,
    client: FlaskClient,
    school: School,
    take_wav: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A take longer than the limit (here 5 s) is refused with its length and the limit in the
    sentence: the English pages say it in English, its fields filled. An episode made of it
    fails with that reason and offers no « Relancer le traitement » (the same file would be
    refused again); an episode that failed for a passing cause still offers it."""
    sign_in(client, "head@son.fr")
    monkeypatch.setitem(app.config, "MAX_TAKE_SECONDS", 5)
    take_id = upload(client, take_wav, "Trop longue")
    french = client.get(f"/prises/{take_id}/etat?lang=fr").get_json()["failure_reason"]
    assert french.startswith("Cet enregistrement est trop long (10 s) : une prise dure au plus 5 s")
    english = client.get(f"/prises/{take_id}/etat?lang=en").get_json()["failure_reason"]
    assert english.startswith("This recording is too long (10 s): a take lasts at most 5 s")
    page = fetch(client, "/").text
    assert "This recording is too long (10 s)" in page and "trop long" not in page

    client.get("/?lang=fr")
    response = client.post(
        "/episodes/nouveau",
        data={"title": "Trop long", "take_ids": [take_id], "audience": "class"}
        | {"no_pupil_voices": "1"},
    )
    assert response.status_code == 302, response.text
    episode = Episode.query.order_by(Episode.created_at.desc()).first()
    assert episode is not None and episode.state == "failed"
    page = fetch(client, f"/episodes/{episode.id}").text
    assert "trop long (10 s)" in page and "Relancer le traitement" not in page
    assert "Refaites l’épisode avec une autre prise" in page  # what to do instead

    # The same episode failing for a cause that passes (ffmpeg stopped) may be tried again.
    episode.fail_with(FfmpegError(["ffmpeg"], "Killed"))
    db.session.commit()
    page = fetch(client, f"/episodes/{episode.id}").text
    assert "Le traitement du son a échoué" in page and "Relancer le traitement" in page


def test_a_report_with_a_figure_is_said_in_english_on_english_pages(
    client: FlaskClient, school: School, take_wav: Path, tmp_path: Path
) -> None:
    """« un long silence sans voix au milieu (11 s) » has its figure in it: the English page
    and the studio's JSON say it in English, the figure filled (it showed in French)."""
    paused = tmp_path / "pause.wav"
    subprocess.run(
        [find_ffmpeg().path, "-hide_banner", "-nostdin", "-y", "-i", str(take_wav), "-i"]
        + [str(take_wav), "-filter_complex", "[0:a]apad=pad_dur=7[a];[a][1:a]concat=n=2:v=0:a=1"]
        + [str(paused)],
        check=True,
        capture_output=True,
    )
    sign_in(client, "prof@son.fr")
    take_id = upload(client, paused, "Pause")
    french = client.get(f"/prises/{take_id}/etat?lang=fr").get_json()["report"]["advice"]
    assert any(line.startswith("Il y a un long silence sans voix au milieu (") for line in french)
    english = client.get(f"/prises/{take_id}/etat?lang=en").get_json()["report"]["advice"]
    assert any(
        line.startswith("There is a long silence without voices in the middle (")
        for line in english
    ), english
    assert not any("silence sans voix" in line for line in english)
    page = fetch(client, "/").text
    assert "There is a long silence without voices in the middle (" in page
    assert "%(" not in page

    # The render's own warnings, on the episode page: a take finished at the gain's cap.
    client.get("/?lang=fr")
    response = client.post(
        "/episodes/nouveau",
        data={"title": "Pause", "take_ids": [take_id], "audience": "class", "no_pupil_voices": "1"},
    )
    assert response.status_code == 302, response.text
    episode = Episode.query.order_by(Episode.created_at.desc()).first()
    take = db.session.get(Take, take_id)
    assert episode is not None and take is not None and take.analysis is not None
    part = PartSource(Path("pause.wav"), Analysis.from_dict(take.analysis), title="Pause")
    capped = render_result([part], Loudness(-20.0, -2.0, 5.0, 30.0), [24.0], [True])
    episode.render_report_json = json.dumps(
        {"output_lufs": -20.0, "output_true_peak_dbtp": -2.0, "gains_db": [24.0]}
        | {"warnings": [w.to_dict() for w in capped.warnings]}
    )
    db.session.commit()
    french = fetch(client, f"/episodes/{episode.id}").text
    assert "L'enregistrement « Pause » est très faible : il a été monté au maximum (+24 dB)" in (
        html.unescape(french)
    )
    english = html.unescape(fetch(client, f"/episodes/{episode.id}?lang=en").text)
    assert 'The take "Pause" is very quiet: it was turned up as far as possible (+24 dB)' in english


def test_a_reason_set_as_text_alone_is_not_shown_from_an_older_record(app: Flask) -> None:
    """Code that sets a reason as text (a full disk, a stopped worker) leaves the record of an
    earlier refusal behind: the reason shown is the text, and retrying is offered."""
    from webradio.audio.analyse import too_long
    from webradio.models import Take

    take = Take(school_id="x", sha256="0", storage_key="k", size_bytes=1)
    take.fail_with(too_long(7200, 3600))
    assert take.failure_message == (too_long(1, 1).message, {"length": "2 h", "limit": "1 h"})
    assert not take.worth_retrying
    take.failure_reason = "La prise a disparu du stockage."
    assert take.failure_message == ("La prise a disparu du stockage.", {})
    assert take.worth_retrying
    take.fail_with(None)
    assert (take.failure_reason, take.failure_json) == (None, None)


def test_jingles_are_the_heads(client: FlaskClient, school: School, tmp_path: Path) -> None:
    sign_in(client, "prof@son.fr")
    assert fetch(client, "/son/jingles").status_code == 403
    sign_in(client, "head@son.fr")
    assert "Jingles de l’école" in fetch(client, "/son/jingles").text
    client.post("/son/jingles", data={"which": "intro", "action": "generate"})
    room = tmp_path / "room.wav"
    _lavfi("anoisesrc=c=pink:a=0.003:r=44100:seed=3", 4.0, room)
    refused = post_file(client, "/son/jingles", room, which="outro")
    assert refused.status_code == 422 and "bruit" in refused.get_json()["error"]
    # From the page's own form, the refusal is said on the jingles page (it was a page of its
    # own, « Action impossible », with only « revenir en arrière »).
    form = client.post(
        "/son/jingles",
        data={"which": "outro", "file": (BytesIO(room.read_bytes()), "room.wav")},
        content_type="multipart/form-data",
    )
    assert form.status_code == 302 and form.headers["Location"].endswith("/son/jingles")
    page = html.unescape(fetch(client, "/son/jingles").text)
    assert 'class="flash error"' in page and "bruit" in page and "Jingles de l’école" in page
    db.session.expire_all()
    found = db.session.get(School, school.id)
    assert found is not None and found.intro_jingle and found.outro_jingle is None
    assert fetch(client, "/son/jingles/intro.son").status_code == 200
    assert fetch(client, "/son/jingles/outro.son").status_code == 404


def test_parts_jingles_chapters_and_tags(
    client: FlaskClient, school: School, take_wav: Path, tmp_path: Path
) -> None:
    sign_in(client, "head@son.fr")
    client.post("/son/jingles", data={"which": "intro", "action": "generate"})
    client.post("/son/jingles", data={"which": "outro", "action": "generate"})
    first = upload(client, take_wav, "Le potager")
    second = upload(client, take_wav, "Les abeilles")
    response = client.post(
        "/episodes/nouveau",
        data={
            "title": "Le journal du jardin",
            "description": "Épisode réalisé en classe.",
            "take_ids": [first, second],
            # The editor's order puts the second take first; it is cut from 2.5 s to 6,0 s.
            f"order_{first}": "2",
            f"order_{second}": "1",
            f"in_s_{second}": "2.5",
            f"out_s_{second}": "6,0",
            "audience": "class",
            "no_pupil_voices": "1",
        },
    )
    assert response.status_code == 302, response.text
    episode = Episode.query.order_by(Episode.created_at.desc()).first()
    assert episode is not None and episode.state == "ready", episode and episode.failure_reason
    parts = sorted(episode.parts, key=lambda p: p.position)
    assert [p.take_id for p in parts] == [second, first]
    assert (parts[0].in_s, parts[0].out_s) == (2.5, 6.0)

    stored = json.loads(episode.chapters_json or "[]")
    chapters = [c for c in stored if "part_id" in c]  # the jingles' spans are kept beside them
    # A chapter title is typed by staff, never taken from a file's or a take's name.
    assert [c["title"] for c in chapters] == ["Partie 1", "Partie 2"]
    assert [c["part_id"] for c in chapters] == [parts[0].id, parts[1].id]
    # After the intro jingle (about 3 s), the cut part lasts 3.5 s less half a crossfade.
    assert 2.0 < chapters[0]["start_s"] < 3.5
    assert chapters[0]["end_s"] - chapters[0]["start_s"] == pytest.approx(3.5 - 0.3, abs=0.05)
    assert chapters[1]["start_s"] == chapters[0]["end_s"]
    assert chapters[1]["end_s"] < (episode.duration_s or 0) - 2.0  # the outro follows
    report = json.loads(episode.render_report_json or "{}")
    assert abs(report["output_lufs"] + 16) <= 1 and report["output_true_peak_dbtp"] <= -1.0

    page = fetch(client, f"/episodes/{episode.id}").text
    assert "Le son de l’épisode" in page and "Volume final" in page

    master = runtime.storage().local_path(episode.media_key or "")
    probed = probe(master)
    tags = {k.lower(): v for k, v in probed["format"]["tags"].items()}
    assert tags["title"] == "Le journal du jardin"
    assert tags["artist"] == "École du Son"
    assert tags["album"] == "École du Son"  # no series: the school's name
    assert tags["comment"] == "Épisode réalisé en classe."
    assert len(tags["date"]) == 10
    # ffprobe lists CHAP frames as stored; players follow the CTOC, which mutagen reads back.
    marks = sorted(probed["chapters"], key=lambda c: float(c["start_time"]))
    assert [c["tags"]["title"] for c in marks] == ["Partie 1", "Partie 2"]
    assert float(marks[0]["start_time"]) == pytest.approx(chapters[0]["start_s"], abs=0.01)
    assert any(s.get("codec_name") == "png" for s in probed["streams"])  # the artwork
    toc = read_tags(master).chapters
    assert [c.title for c in toc] == ["Partie 1", "Partie 2"]


def test_a_quiet_jingle_is_named_in_words_not_by_its_code(
    client: FlaskClient, school: School, take_wav: Path, tmp_path: Path
) -> None:
    """A jingle too quiet for the gain's cap stays quieter than the take after it: it is flagged,
    though the master is on target (it was not: the master on target cleared every flag), and
    named by its kind in the reader's language, as on the re-edit page (both said « intro »)."""
    chime = make_jingle(tmp_path / "chime.wav", find_ffmpeg())
    quiet_chime = _far_too_quiet(chime, tmp_path / "quiet-chime.wav")
    sign_in(client, "head@son.fr")
    response = post_file(client, "/son/jingles", quiet_chime, which="intro", voice_free="1")
    assert response.status_code in (200, 302), response.text
    said = html.unescape(fetch(client, "/son/jingles").text)  # told at once, and kept
    assert "Jingle enregistré." in said and "Ce jingle est très faible (-64 LUFS)" in said
    take_id = upload(client, take_wav, "Le potager")
    # A jingle is no take: the new-episode page (it answered 500 once a jingle was set) and
    # the dashboard do not list it, and an episode is not made of it.
    jingle = db.session.get(School, school.id).intro_jingle
    assert jingle is not None
    form = fetch(client, "/episodes/nouveau")
    assert form.status_code == 200 and take_id in form.text and jingle.id not in form.text
    # An untitled take is named by words and its time there, not by its id (« jpxffwwm9v »).
    other = tmp_path / "other.wav"
    _lavfi("sine=f=440:sample_rate=48000", 4.0, other)
    untitled = upload(client, other, "")
    listed = html.unescape(fetch(client, "/episodes/nouveau").text)
    assert f"> {untitled} (" not in listed and "Prise sans titre du " in listed
    assert jingle.id not in fetch(client, "/").text
    refused = client.post(
        "/episodes/nouveau",
        data={"title": "J", "take_ids": [jingle.id], "audience": "class", "no_pupil_voices": "1"},
    )
    assert refused.status_code == 404, refused.text
    episode = _voice_free_class_episode(client, "Jingle", take_id)
    assert episode.intro_jingle_id is not None
    report = json.loads(episode.render_report_json or "{}")
    assert abs(report["output_lufs"] + 16) <= 1  # the master is on target
    assert [w["params"]["title"] for w in report["warnings"]] == ["Jingle de début"]
    french = html.unescape(fetch(client, f"/episodes/{episode.id}?lang=fr").text)
    assert "L'enregistrement « Jingle de début » est très faible" in french
    english = html.unescape(fetch(client, f"/episodes/{episode.id}?lang=en").text)
    assert 'The take "Opening jingle" is very quiet' in english
    for page in (french, english):
        assert "« intro »" not in page and '"intro"' not in page
    reedit_page = fetch(client, f"/episodes/{episode.id}/remontage?lang=en").text
    assert "Opening jingle (" in reedit_page and "intro (" not in reedit_page


def test_an_episode_whose_voices_nobody_declared_does_not_say_no_pupil_speaks(
    client: FlaskClient, school: School, take_wav: Path
) -> None:
    """Neither pupils named nor « aucune voix d'élève » ticked: the class alone is cleared,
    and the page said so as « Aucune voix d'élève : rien à autoriser », which nobody said."""
    sign_in(client, "prof@son.fr")
    take_id = upload(client, take_wav, "Le potager")
    client.post(
        "/episodes/nouveau",
        data={"title": "Qui parle ?", "take_ids": [take_id]} | {"audience": "class"},
    )
    episode = Episode.query.order_by(Episode.created_at.desc()).first()
    assert episode is not None
    page = html.unescape(fetch(client, f"/episodes/{episode.id}").text)
    assert "Aucune voix d'élève : rien à autoriser" not in page
    assert "Qui parle n'est pas encore indiqué : la classe seulement" in page


def test_a_lone_quiet_take_is_said_under_the_target_and_its_part_named_in_english(
    client: FlaskClient, school: School, take_wav: Path, tmp_path: Path
) -> None:
    """A one-take episode from a far too quiet take: its warning said « reste moins fort que
    les autres » (there are none) and named it « Partie 1 » on the English page."""
    quiet = _far_too_quiet(take_wav, tmp_path / "whisper.wav")
    sign_in(client, "prof@son.fr")
    take_id = upload(client, quiet, "Murmure")
    episode = _voice_free_class_episode(client, "Murmure", take_id)
    french = html.unescape(fetch(client, f"/episodes/{episode.id}?lang=fr").text)
    assert "L'enregistrement « Partie 1 » est très faible" in french
    assert "reste sous le volume visé" in french and "que les autres" not in french
    english = html.unescape(fetch(client, f"/episodes/{episode.id}?lang=en").text)
    assert 'The take "Part 1" is very quiet' in english and "Partie" not in english


def probe(path: Path) -> Any:
    """ffprobe's JSON view of a file (tags, chapters, streams)."""
    tool = shutil.which("ffprobe")
    if tool is None:
        pytest.skip("ffprobe is not installed (apt-get install ffmpeg)")
    done = subprocess.run(
        [tool, "-v", "error", "-print_format", "json", "-show_format", "-show_chapters"]
        + ["-show_streams", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def _voice_free_class_episode(client: FlaskClient, title: str, take_id: str) -> Episode:
    """An episode of one take, no pupil's voice, for the class, made from the form; rendered."""
    client.post(
        "/episodes/nouveau",
        data={"title": title, "take_ids": [take_id], "audience": "class"}
        | {"no_pupil_voices": "1"},
    )
    episode = Episode.query.order_by(Episode.created_at.desc()).first()
    assert episode is not None and episode.state == "ready", episode and episode.failure_reason
    return episode


def _far_too_quiet(source: Path, path: Path) -> Path:
    """`source` 45 dB quieter, as a 16-bit WAV at `path`: more than the gain's cap can raise."""
    subprocess.run(
        [find_ffmpeg().path, "-hide_banner", "-nostdin", "-y", "-i", str(source)]
        + ["-af", "volume=-45dB", "-c:a", "pcm_s16le", str(path)],
        check=True,
        capture_output=True,
    )
    return path


def _lavfi(source: str, seconds: float, path: Path) -> None:
    """Write `seconds` of a lavfi source to a 16-bit WAV."""
    subprocess.run(
        [find_ffmpeg().path, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"]
        + ["-i", source, "-t", str(seconds), "-c:a", "pcm_s16le", str(path)],
        check=True,
    )
