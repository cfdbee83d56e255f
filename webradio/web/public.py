"""Public pages, feed and media: each answer asks the consent gate first (CONTRACT.md section 3)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, send_file
from flask.typing import ResponseReturnValue

from webradio import episodes, feeds, publication, runtime, schools, urls
from webradio.models import Episode, School
from webradio.publication import Visibility

bp = Blueprint("public", __name__)

FEED_TYPE = "application/rss+xml; charset=utf-8"
MEDIA_NAME = re.compile(r"[0-9a-f]{12}")


@bp.get("/radio/<slug>/")
def school_page(slug: str) -> ResponseReturnValue:
    """The school's radio: its public episodes with a player, and its feed."""
    school = schools.get_school(slug)
    shown = publication.public_episodes(school)
    return render_template("school.html", school=school, episodes=shown, urls=urls)


@bp.get("/radio/<slug>/episodes/<episode_id>")
def episode_page(slug: str, episode_id: str) -> ResponseReturnValue:
    """One public episode; 410 with a note once withdrawn or expired, 404 if never public."""
    school = schools.get_school(slug)
    episode = _public_episode(episode_id, school)
    return render_template("episode_public.html", school=school, episode=episode, urls=urls)


@bp.get("/radio/<slug>/confidentialite")
def consent_page(slug: str) -> ResponseReturnValue:
    """The school's consent and privacy page, linked from every feed and tag."""
    return render_template("privacy.html", school=schools.get_school(slug))


@bp.get("/radio/<slug>/<name>.png")
def artwork(slug: str, name: str) -> ResponseReturnValue:
    """The school's artwork (its name carries a hash of its bytes)."""
    school = schools.get_school(slug)
    key = feeds.ensure_artwork(school)
    if Path(key).stem != name:
        abort(404)
    path = runtime.storage().local_path(key)
    return send_file(path, mimetype="image/png", conditional=True, max_age=86400)


@bp.get("/feeds/<slug>.xml")
def feed(slug: str) -> ResponseReturnValue:
    """The school's public feed, served from its static file with a content-hash ETag."""
    school = schools.get_school(slug)
    path = feeds.feed_path(school)
    if not path.exists():
        feeds.rebuild_school(school)
    etag = hashlib.sha256(path.read_bytes()).hexdigest()
    response = send_file(path, mimetype=FEED_TYPE, conditional=True, etag=etag, max_age=60)
    response.headers["Content-Type"] = FEED_TYPE
    return response


@bp.route("/media/<episode_id>/<name>.mp3", methods=["GET", "HEAD"])
def media(episode_id: str, name: str) -> ResponseReturnValue:
    """The master MP3 with byte ranges; an older name of a cleared episode answers 301."""
    episode = _public_episode(episode_id)
    assert episode.media_key
    if Path(episode.media_key).stem != name:
        # Only a former content-hash name moves permanently; anything else does not exist.
        if not MEDIA_NAME.fullmatch(name):
            abort(404)
        return redirect(urls.media(episode.id, episode.media_key), 301)
    path = runtime.storage().local_path(episode.media_key)
    return send_file(path, mimetype="audio/mpeg", conditional=True, etag=name, max_age=300)


@bp.get("/embed/<episode_id>")
def embed(episode_id: str) -> ResponseReturnValue:
    """A cookie-free player for other sites; says so in the frame when the episode was withdrawn."""
    episode = episodes.get_episode(episode_id)
    seen = publication.visibility(episode, "public")
    if seen is Visibility.UNKNOWN:
        abort(404)
    if seen is Visibility.GONE:
        return render_template("embed.html", episode=None, urls=urls), 410
    return render_template("embed.html", episode=episode, urls=urls)


def _public_episode(episode_id: str, school: School | None = None) -> Episode:
    """The episode if the public may see it; 410 if it may no longer, 404 if it never could."""
    episode = episodes.get_episode(episode_id, school)
    seen = publication.visibility(episode, "public")
    if seen is Visibility.GONE:
        abort(410)
    if seen is Visibility.UNKNOWN or not episode.media_key:
        abort(404)
    return episode
