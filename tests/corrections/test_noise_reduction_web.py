"""Noise reduction offered in the web app: a school setting, a box on the new-episode form
(ticked for a take the report calls noisy), and a master whose pauses are quieter with it."""

from __future__ import annotations

import re
import statistics
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_support import PASSWORD, fetch, sign_in

from webradio import episodes, runtime, schools, takes
from webradio.audio.ffmpeg import find_ffmpeg
from webradio.audio.presets import PRESETS
from webradio.extensions import db
from webradio.models import Episode, School, Take

REAL = Path(__file__).parent.parent / "audio" / "real"
HEAD, TEACHER = "head@bruit.fr", "prof@bruit.fr"


@pytest.fixture(scope="module")
def noisy_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real French sentence, a 3-second pause, the sentence again, over pink noise (a
    ventilation) 16 LU under the voice."""
    out = tmp_path_factory.mktemp("noisy") / "classe-ventilee.wav"
    sentence = REAL / "fr_male_sentence_16k.wav"
    graph = (
        "[0:a]aresample=48000,atrim=1.0:6.2,asetpts=PTS-STARTPTS,asplit[a][b];"
        "anullsrc=r=48000:cl=mono,atrim=0:3[gap];"
        "[a][gap][b]concat=n=3:v=0:a=1[talk];"
        "anoisesrc=c=pink:a=0.1:r=48000:seed=7,atrim=0:13.4[room];"
        "[talk][room]amix=inputs=2:normalize=0:duration=first[out]"
    )
    subprocess.run(
        [find_ffmpeg().path, "-hide_banner", "-nostdin", "-y", "-i", str(sentence)]
        + ["-filter_complex", graph, "-map", "[out]", "-c:a", "pcm_s16le", str(out)],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture
def school(app: Flask) -> School:
    """École du Bruit, its head and a teacher."""
    created = schools.create_school("ecole-bruit", "École du Bruit")
    schools.create_user(HEAD, "head", PASSWORD, created)
    schools.create_user(TEACHER, "teacher", PASSWORD, created)
    return created


def pauses_and_loudness(master: Path) -> tuple[float, float]:
    """The master's noise floor (the 10th percentile of its momentary loudness, read in the
    pauses) and its integrated loudness, by ffmpeg's ebur128 on the decoded MP3."""
    done = subprocess.run(
        [find_ffmpeg().path, "-hide_banner", "-nostats", "-nostdin", "-i", str(master)]
        + ["-af", "ebur128", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    momentary = [float(m) for m in re.findall(r" M:\s*(-?[\d.]+)", done.stderr)]
    integrated = float(re.findall(r"^\s+I:\s+(\S+) LUFS", done.stderr, re.M)[-1])
    return statistics.quantiles(momentary, n=10)[0], integrated


def new_episode(client: FlaskClient, take: Take, title: str, box: bool) -> Episode:
    """Create (and render) an episode through the form, with the noise box ticked or not."""
    form = {
        "title": title,
        "take_ids": take.id,
        "no_pupil_voices": "1",
        "audience": "class",
        "noise_reduction_offered": "1",
    } | ({"noise_reduction": "1"} if box else {})
    answer = client.post("/episodes/nouveau", data=form)
    assert answer.status_code == 302, answer.text
    episode_id = answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    found = db.session.get(Episode, episode_id)
    assert found is not None and found.state == "ready", found and found.failure_reason
    return found


def test_the_school_and_each_episode_choose_and_the_pauses_get_quieter(
    client: FlaskClient, school: School, noisy_wav: Path
) -> None:
    take = takes.ingest(school, BytesIO(noisy_wav.read_bytes()), label="Classe ventilée")
    takes.analyse_take(take.id)  # done already when the queue runs jobs at once
    db.session.refresh(take)
    assert episodes.noisy(take), take.analysis  # the report says: loud background noise

    sign_in(client, HEAD)
    page = fetch(client, "/ecole/reglages").text
    assert "Réduire le bruit de fond (ventilation, souffle)" in page
    form = {"description": "", "contact_email": "", "preset": "podcast", "noise_reduction": "1"}
    assert client.post("/ecole/reglages", data=form).status_code == 302
    db.session.expire_all()
    assert school.noise_reduction is True
    assert re.search(
        r'name="noise_reduction" value="1"[^>]*checked', fetch(client, "/ecole/reglages").text
    )

    sign_in(client, TEACHER)
    page = fetch(client, "/episodes/nouveau").text
    assert f'data-take="{take.id}" data-noisy="1"' in page
    assert re.search(r'id="noise-reduction"[^>]*checked', page)  # the school's choice
    plain = new_episode(client, take, "Sans réduction", box=False)
    cleaned = new_episode(client, take, "Avec réduction", box=True)
    assert (plain.noise_reduction, cleaned.noise_reduction) == (False, True)
    # An episode that does not choose follows the school.
    draft = episodes.EpisodeDraft("Par défaut", [take.id], "class", no_pupil_voices=True)
    assert episodes.reduces_noise(episodes.create(school, draft)) is True

    store = runtime.storage()
    floor_plain, lufs_plain = pauses_and_loudness(store.local_path(plain.media_key or ""))
    floor_clean, lufs_clean = pauses_and_loudness(store.local_path(cleaned.media_key or ""))
    print(
        f"noise floor {floor_plain:.1f} -> {floor_clean:.1f} LUFS; "
        f"integrated {lufs_plain:.1f}, {lufs_clean:.1f} LUFS"
    )
    assert floor_clean <= floor_plain - 6.0
    target = PRESETS["podcast"].target_lufs
    assert abs(lufs_plain - target) <= 1.0 and abs(lufs_clean - target) <= 1.0
