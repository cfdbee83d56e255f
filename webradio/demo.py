"""Demo content made locally on first start: a school, a class, pupils with grants, an episode."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from sqlalchemy import select

from webradio import (
    authorisations,
    consent,
    episodes,
    publication,
    runtime,
    schools,
    sharing,
    takes,
    urls,
    voices,
)
from webradio.audio.clips import make_speechlike_take
from webradio.audio.presets import configured_max_take_s
from webradio.clock import today_paris
from webradio.errors import WebradioError
from webradio.extensions import db
from webradio.models import Pupil, School

SLUG = "ecole-jules-ferry"
HEAD = "direction@demo.webradio.local"
TEACHER = "enseignant@demo.webradio.local"
CITY = "ville@demo.webradio.local"  # the city's IT team: every school, its heads
# first name -> audiences granted by the family (Sacha's family has not answered yet)
PUPILS = {
    "Léa": "class,families,public",
    "Noah": "class,families,public",
    "Inès": "class,families",
    "Sacha": "",
}
DEMO_TAKE_S = 14.0


def seed() -> None:
    """Create the demo once; print the sign-in, with the password only the first time."""
    if db.session.scalars(select(School).filter_by(slug=SLUG)).first():
        click.echo(
            f"Démo déjà en place : {HEAD} / {TEACHER} / {CITY} (mot de passe affiché au premier "
            "lancement).",
            err=True,
        )
        return
    school = schools.create_school(SLUG, "École Jules-Ferry")
    school.description = "Les élèves de CM2 racontent la vie de l’école."
    password = secrets.token_urlsafe(9)
    schools.create_user(HEAD, "head", password, school)
    schools.create_user(TEACHER, "teacher", password, school)
    schools.create_user(CITY, "city-admin", password, None)
    pupils = {}
    for name, audiences in PUPILS.items():
        pupil = schools.add_pupil(school, "CM2 A", name)
        pupils[name] = pupil
        if audiences:
            request = authorisations.GrantRequest(
                consent.parse_audiences(audiences), signed_on=today_paris(), guardians_signed=2
            )
            authorisations.grant(pupil, request)
    try:
        _episode(school, pupils)
    except WebradioError as exc:  # the demo's accounts stay usable: the password is shown
        db.session.rollback()
        click.echo(f"Démo sans épisode publié / no published demo episode : {exc}", err=True)
    family = sharing.create_token(school, "Famille de démo")
    base = urls.base()
    lines = [
        "",
        "=== webradio : démo prête / demo ready ===",
        f"Page publique : {base}/radio/{SLUG}/",
        f"Connexion     : {base}/connexion",
        f"  direction   : {HEAD}",
        f"  enseignant  : {TEACHER}",
        f"  ville       : {CITY}",
        f"  mot de passe (affiché une seule fois / shown once) : {password}",
        f"Flux des familles (privé) : {urls.family_feed(family.token)}",
        f"Flux de la ville          : {urls.city_feed()}",
        "",
    ]
    click.echo("\n".join(lines), err=True)
    sys.stderr.flush()


def _episode(school: School, pupils: dict[str, Pupil]) -> None:
    """The demo's episode: a take in which Léa and Noah speak, rendered, published, shared with
    the city. Its take fits the configured longest take (MAX_TAKE_SECONDS)."""
    seconds = min(DEMO_TAKE_S, 0.9 * configured_max_take_s())
    scratch = runtime.storage().scratch_dir() / "demo-take.wav"
    try:
        make_speechlike_take(scratch, runtime.ffmpeg(), seconds=seconds)
        with scratch.open("rb") as stream:
            take = takes.ingest(school, stream, label="La sortie au jardin")
    finally:
        Path(scratch).unlink(missing_ok=True)
    voices.stage_speakers(take, [pupils["Léa"], pupils["Noah"]])
    draft = episodes.EpisodeDraft(
        title="Le journal de la classe : la sortie au jardin",
        description="Deux élèves de CM2 racontent la sortie de la classe au jardin partagé.",
        take_ids=[take.id],
        participant_ids=[pupils["Léa"].id, pupils["Noah"].id],
        audience="public",
    )
    episode = episodes.create(school, draft)
    episodes.render_episode(episode.id)
    publication.publish(episode, approved_by=None)
    sharing.update_sharing(episode, publication.CLI, shared_with_city=True, transcript="")
