"""Family tokens and their letters (staff), the family feed and media (token), sharing settings."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Flask, abort, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from markupsafe import Markup
from werkzeug.wrappers import Response

from webradio import clearance, episodes, feeds, outputs, people, runtime, sharing, urls
from webradio.clearance import Visibility
from webradio.consent import Audience
from webradio.errors import N_, WebradioError
from webradio.extensions import db
from webradio.models import Episode, FamilyToken, School
from webradio.publishing.apps import AppLink, app_links
from webradio.publishing.artwork import MAX_UPLOAD_BYTES
from webradio.publishing.companions import chapter_marks, qr_svg, transcript_of
from webradio.web import actor, back_to, current_school, delivery, role_required, staff, translate
from webradio.web.public import available, chapters_response, serve_master, transcript_response

HTML = "text/html; charset=utf-8"
LETTER_LANGUAGE = "fr"  # the letter goes to a family: French, not the head's language

bp = Blueprint("families", __name__)

STAFF = ("head", "teacher")
CREATED = N_("Accès famille créé : imprimez la lettre et remettez-la à la famille.")
REVOKED = N_("Accès révoqué : ce flux ne fonctionne plus.")
SAVED = N_("Diffusion enregistrée ; les flux sont à jour.")
ARTWORK_SAVED = N_("Image enregistrée ; les flux sont à jour.")
CLASS_CREATED = N_(
    "%(label)s : %(n)d accès créés. Imprimez les lettres et remettez-en une à chaque famille."
)


# --- Staff: tokens, letters, artwork, what an episode shares ---------------------------------


@bp.route("/ecole/familles", methods=["GET", "POST"])
@role_required("head")
def tokens() -> ResponseReturnValue:
    """List the school's family accesses, and create one from a label (never an e-mail).

    `?revoquer=ID` opens the confirmation of that access's revocation (the page works without
    script; with it, the confirmation opens in place and can be undone for a few seconds).
    """
    school = current_school()
    if request.method == "POST":
        token = sharing.create_token(school, request.form.get("label", ""))
        flash(translate(CREATED), "info")
        return back_to("families.letter", token_id=token.id)
    return render_template(
        "family_tokens.html",
        school=school,
        tokens=sharing.list_tokens(school),
        classes=people.list_classes(school),
        confirm_id=request.args.get("revoquer", ""),
    )


@bp.post("/ecole/familles/classe")
@role_required("head")
def class_tokens() -> ResponseReturnValue:
    """Create one access per family of a class (default: one per pupil on record); print them."""
    school = current_school()
    school_class = people.get_class(school, request.form.get("class_id", ""))
    count = request.form.get("count", "").strip()
    if count and not count.isdigit():
        raise WebradioError(N_("Indiquez un nombre de familles en chiffres."))
    created = people.create_class_family_tokens(
        school, school_class.id, int(count) if count else school_class.pupils
    )
    flash(translate(CLASS_CREATED, n=len(created), label=school_class.label), "info")
    return back_to("families.letters", t=[token.id for token in created])


@bp.post("/ecole/familles/<token_id>/revoquer")
@role_required("head")
def revoke(token_id: str) -> ResponseReturnValue:
    """Revoke one family's access; its feed and media stop answering at once."""
    token = sharing.get_token(token_id, current_school())
    sharing.revoke_token(token)
    delivery.feed_cache.forget(token.token)
    flash(translate(REVOKED), "info")
    return back_to("families.tokens")


@bp.get("/ecole/familles/<token_id>/lettre")
@role_required("head")
def letter(token_id: str) -> ResponseReturnValue:
    """The printable letter: the feed address, its QR code and how to subscribe."""
    token = sharing.get_token(token_id, current_school())
    if token.revoked_at is not None:
        abort(404)
    return _letters_page([token], translate(N_("Lettre aux familles")))


@bp.get("/ecole/familles/lettres")
@role_required("head")
def letters() -> ResponseReturnValue:
    """One A4 letter per live access of `?t=ID&t=ID...`, page breaks between them."""
    school = current_school()
    live = [sharing.get_token(i, school) for i in request.args.getlist("t")]
    live = [token for token in live if token.revoked_at is None]
    if not live:
        abort(404)
    return _letters_page(live, translate(N_("Lettres aux familles (%(n)d)"), n=len(live)))


def _letters_page(chosen: list[FamilyToken], title: str) -> Response:
    """Render the letters of these live tokens, private and never cached.

    The tools around them follow the head's language; each letter goes to a family and is
    always written in French, whatever language the head reads the app in.
    """
    school = current_school()
    with force_locale(LETTER_LANGUAGE):
        alt = translate(N_("QR code du flux des familles"))
        letters = [
            Markup(
                render_template(
                    "family_letter.html",
                    school=school,
                    number=number,
                    lang=LETTER_LANGUAGE,
                    letter=FamilyLetter(
                        label=token.label,
                        feed_url=urls.family_feed(token.token),
                        home_url=urls.family_home(token.token),
                        qr=qr_svg(urls.family_feed(token.token), alt),
                    ),
                )
            )
            for number, token in enumerate(chosen, start=1)
        ]
    html = render_template("family_letters_class.html", school=school, letters=letters, title=title)
    return delivery.mark_private(Response(html, content_type=HTML), "private, no-cache")


@dataclass(frozen=True)
class FamilyLetter:
    """What one printed letter shows: the access's label, its addresses and QR code."""

    label: str
    feed_url: str
    home_url: str
    qr: str


@bp.route("/ecole/image", methods=["GET", "POST"])
@role_required("head")
def artwork() -> ResponseReturnValue:
    """Upload the radio's square artwork (PNG or JPEG, 1400 to 3000 px)."""
    school = current_school()
    if request.method == "POST":
        upload = request.files.get("file")
        # the check refuses past 10 MB: never read more than that into memory
        sharing.set_artwork(school, upload.read(MAX_UPLOAD_BYTES + 1) if upload else b"")
        flash(translate(ARTWORK_SAVED), "info")
        return back_to("families.artwork")
    current = urls.artwork(school.slug, feeds.ensure_artwork(school))
    return render_template("family_artwork.html", school=school, artwork_url=current)


@bp.post("/episodes/<episode_id>/diffusion")
@role_required(*STAFF)
def sharing_settings(episode_id: str) -> ResponseReturnValue:
    """Save the city sharing checkbox and the transcript of an episode."""
    episode = episodes.get_episode(episode_id, current_school())
    queued = sharing.update_sharing(
        episode,
        actor(),
        shared_with_city=request.form.get("shared_with_city") == "1",
        transcript=request.form.get("transcript", ""),
    )
    flash(translate(staff.CORRECTION_SENT if queued else SAVED), "info")
    return back_to("staff.episode", episode_id=episode.id)


# --- Families: reached through their token only ----------------------------------------------

TOKEN_IN_PATH = re.compile(r"/familles/[^/\s?#]+")


def redact_logs(app: Flask) -> None:
    """Our servers log no family URL: Flask's error log and werkzeug's request log are filtered."""
    for logger in (app.logger, logging.getLogger("werkzeug")):
        if not any(isinstance(f, RedactFamilyTokens) for f in logger.filters):
            logger.addFilter(RedactFamilyTokens())


class RedactFamilyTokens(logging.Filter):
    """Replace the token of any family URL in a log line, so no log ever holds one."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message in place; never drop the record."""
        message = record.getMessage()
        if "/familles/" in message:
            record.msg = TOKEN_IN_PATH.sub("/familles/[jeton]", message)
            record.args = ()
        return True


def _token(secret: str) -> FamilyToken:
    """The live token of this secret; 404 for a revoked or unknown one (CONTRACT.md s. 3)."""
    token = sharing.live_token(secret)
    if token is None:
        abort(404)
    return token


def _family_episode(token: FamilyToken, episode_id: str) -> Episode:
    """An episode of the token's school shown to families; 410 once withdrawn, else 404."""
    episode = episodes.get_episode(episode_id)
    if episode.school_id != token.school_id or not episode.media_key:
        abort(404)
    seen, until = clearance.seen_until(episode, Audience.FAMILIES)
    if seen is Visibility.GONE:
        abort(410)
    if seen is Visibility.UNKNOWN:
        abort(404)
    request.environ[delivery.EXPIRES_ON] = until  # no cache keeps it past that midnight
    return episode


@bp.get("/familles/<secret>/")
def family_home(secret: str) -> ResponseReturnValue:
    """The family's page: the school's episodes for families, with players."""
    school = _school_of(_token(secret))
    shown = clearance.public_episodes(school, Audience.FAMILIES)
    html = render_template(
        "family_home.html",
        school=school,
        episodes=shown,
        secret=secret,
        urls=urls,
        chapters={e.id: chapter_marks(e.chapters_json) for e in shown},
        transcripts={e.id: transcript_of(e.transcript) for e in shown},
        subscribe=subscribe_for(urls.family_feed(secret), school.name),
    )
    return delivery.mark_private(Response(html, content_type=HTML), "private, no-cache")


@dataclass(frozen=True)
class Subscribe:
    """How a family subscribes: the plain address, app links, and its QR code (wide screens)."""

    feed_url: str
    apps: list[AppLink]
    qr: str


def subscribe_for(feed_url: str, title: str) -> Subscribe:
    """The apps' subscribe addresses for this feed, and its QR code."""
    alt = translate(N_("QR code du flux des familles"))
    return Subscribe(feed_url, app_links(feed_url, title), qr_svg(feed_url, alt))


def _school_of(token: FamilyToken) -> School:
    """The token's school."""
    school = db.session.get(School, token.school_id)
    assert school is not None
    return school


@bp.get("/familles/<secret>/flux.xml")
def family_feed(secret: str) -> ResponseReturnValue:
    """The family feed: private, noindex, blocked from directories, its links carry the token;
    a browser gets the feed's readable page (written beside it, the same items)."""
    school = _school_of(_token(secret))
    page = delivery.prefers_page(request.headers.get("Accept", ""))
    path = feeds.family_feed_path(school)
    if page:
        path = path.with_name(feeds.page_beside(path.name))
    fill = _filler(secret)
    root = runtime.feeds_root()
    if delivery.expired(root, str(path.relative_to(root))):
        outputs.refresh({school.id})  # past midnight: what expired leaves the feed now
    rep = delivery.feed_cache.get(path, secret, fill)
    if rep is None:
        outputs.refresh({school.id})
        rep = delivery.feed_cache.get(path, secret, fill)
    response = delivery.feed_response(available(rep), delivery.PRIVATE_CACHE, page)
    return delivery.mark_private(response, delivery.PRIVATE_CACHE)


def _filler(secret: str) -> Callable[[bytes], bytes]:
    """Put this family's token where the stored feed keeps its slot."""
    slot = feeds.FAMILY_TOKEN_SLOT.encode()
    value = secret.encode()
    return lambda data: data.replace(slot, value)


@bp.route("/familles/<secret>/media/<episode_id>/<name>.mp3", methods=["GET", "HEAD"])
def family_media(secret: str, episode_id: str, name: str) -> ResponseReturnValue:
    """A master through a live token: ranges, ETag, private."""
    episode = _family_episode(_token(secret), episode_id)
    current = urls.family_media(secret, episode.id, episode.media_key or "")
    return delivery.mark_private(serve_master(episode, name, current))


@bp.route("/familles/<secret>/media/<episode_id>/chapitres.json", methods=["GET", "HEAD"])
def family_chapters(secret: str, episode_id: str) -> ResponseReturnValue:
    """Chapters of a family episode."""
    episode = _family_episode(_token(secret), episode_id)
    return delivery.mark_private(chapters_response(episode, delivery.PRIVATE_CACHE))


@bp.route("/familles/<secret>/media/<episode_id>/transcription.<ext>", methods=["GET", "HEAD"])
def family_transcript(secret: str, episode_id: str, ext: str) -> ResponseReturnValue:
    """Transcript of a family episode."""
    episode = _family_episode(_token(secret), episode_id)
    return delivery.mark_private(transcript_response(episode, ext, delivery.PRIVATE_CACHE))
