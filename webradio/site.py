"""Public pages as files: what the gate cleared, rendered for nobody in particular.

School pages (paged), episode pages, embeds, oEmbed answers, chapters, transcripts and the city
widget are rendered here from values the after-commit step (webradio.outputs) loaded, written
under `feeds/site/` beside the feeds, and served from there by the app's fast path or by a
proxy. A withdrawn item leaves a record under `feeds/site/gone/` (the 410 page itself), and
every file carries its expiry (the earliest day its episodes are authorised until) in
`feeds/private/outputs.json`, so that no channel serves it past midnight.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import Response, current_app, render_template
from markupsafe import escape

from webradio import urls
from webradio.consent import Audience, Clearance
from webradio.models import Episode, EpisodeState, School
from webradio.publishing.companions import (
    chapter_marks,
    chapters_document,
    qr_svg,
    transcript_of,
)

SITE = "site"
GONE = f"{SITE}/gone"
MANIFEST = "private/outputs.json"  # under feeds/private/: never served (README)
CITY_OWNER = "ville"
PER_PAGE = 20
OEMBED_WIDTH, OEMBED_HEIGHT = 560, 220
UNPUBLISHED = "unpublished"


@dataclass(frozen=True)
class Output:
    """One public file: where it goes under the feeds root, its bytes (or how to make them),
    until when it may be served (None: no pupil's authorisation limits it), whether a `.gz` goes
    beside it, and a key of what it shows (the same key: the file on disk is kept as is)."""

    path: str
    data: bytes | None = None
    until: date | None = None
    precompress: bool = True
    key: str | None = None
    make: Callable[[], bytes] | None = None

    def content(self) -> bytes:
        """The file's bytes, rendered now when they were not given."""
        if self.data is not None:
            return self.data
        assert self.make is not None
        return self.make()


# --- Where each file goes (the fast path and the proxy read the same places) --------------------


def page_path(slug: str, page: int = 1) -> str:
    """A page of the school's radio: the first at `/radio/SLUG/`, then `/radio/SLUG/page/N`."""
    return (
        f"{SITE}/radio/{slug}/index.html" if page == 1 else f"{SITE}/radio/{slug}/page/{page}.html"
    )


def episode_path(slug: str, episode_id: str) -> str:
    """An episode's public page."""
    return f"{SITE}/radio/{slug}/episodes/{episode_id}.html"


def embed_path(episode_id: str) -> str:
    """An episode's player for other sites (default theme)."""
    return f"{SITE}/embed/{episode_id}.html"


def oembed_path(slug: str, episode_id: str) -> str:
    """The oEmbed answer for an episode page, at the default size."""
    return f"{SITE}/oembed/{slug}/{episode_id}.json"


def chapters_path(episode_id: str) -> str:
    """An episode's Podcasting 2.0 chapters."""
    return f"{SITE}/media/{episode_id}/chapitres.json"


def transcript_path(episode_id: str, extension: str) -> str:
    """An episode's transcript in its own format."""
    return f"{SITE}/media/{episode_id}/transcription.{extension}"


def media_pass_path(episode_id: str, name: str) -> str:
    """The record that the public may hear this master now: its storage key, never served
    (under feeds/private/); the media route reads it instead of asking the database."""
    return f"private/media/{episode_id}/{name}.key"


def widget_path() -> str:
    """The city widget."""
    return f"{SITE}/ville/widget.html"


def gone_page_path(slug: str, episode_id: str) -> str:
    """The 410 page of a withdrawn episode's public page (its presence is the record)."""
    return f"{GONE}/radio/{slug}/episodes/{episode_id}.html"


def gone_embed_path(episode_id: str) -> str:
    """The 410 player frame of a withdrawn episode, the note inside it."""
    return f"{GONE}/embed/{episode_id}.html"


def gone_media_path(episode_id: str) -> str:
    """The 410 page for every `/media/ID/...` address of a withdrawn episode."""
    return f"{GONE}/media/{episode_id}.html"


def pages_of(count: int) -> int:
    """How many pages a school's radio has for `count` public episodes (at least one)."""
    return max(1, math.ceil(count / PER_PAGE))


def earliest(answers: Iterable[Clearance]) -> date | None:
    """The day a file showing these episodes stops being authorised (None if none limits it)."""
    days = [a.authorised_until for a in answers if a.authorised_until is not None]
    return min(days) if days else None


# --- Rendering for nobody in particular ---------------------------------------------------------


@contextlib.contextmanager
def anonymous(path: str = "/", args: Mapping[str, str] | None = None) -> Iterator[None]:
    """A request of nobody signed in, without cookie, at the public address: public pages never
    depend on who asks (a fresh app context, so no `g` of the current request leaks in)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with (
        app.app_context(),
        app.test_request_context(path, base_url=urls.base(), query_string=dict(args or {})),
    ):
        yield


def embed_code(episode: Episode, width: int | str = "100%", height: int = 200) -> str:
    """The iframe others paste: lazy, titled, sandboxed to what the player needs."""
    return (
        f'<iframe src="{escape(urls.embed(episode.id))}" width="{width}" height="{height}" '
        f'title="{escape(episode.title)}" loading="lazy" frameborder="0" '
        'sandbox="allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox '
        'allow-downloads" '
        "allow=\"autoplay 'none'\"></iframe>"
    )


def school_page(school: School, shown: Sequence[Episode], page: int, qr: str | None = None) -> str:
    """One page of the school's radio (`shown`: every public episode, newest first)."""
    pages = pages_of(len(shown))
    first = (page - 1) * PER_PAGE
    return render_template(
        "school.html",
        school=school,
        episodes=shown[first : first + PER_PAGE],
        urls=urls,
        qr=qr or qr_svg(urls.feed(school.slug), "QR code du flux"),
        page=page,
        pages=pages,
        newer_url=page_url(school.slug, page - 1) if page > 1 else None,
        older_url=page_url(school.slug, page + 1) if page < pages else None,
    )


def page_url(slug: str, page: int) -> str:
    """The address of a page of the school's radio."""
    return urls.school_page(slug) + (f"page/{page}" if page > 1 else "")


def episode_page(episode: Episode) -> str:
    """An episode's public page."""
    return render_template(
        "episode_public.html",
        school=episode.school,
        episode=episode,
        urls=urls,
        chapters=chapter_marks(episode.chapters_json),
        transcript=transcript_of(episode.transcript),
        embed_code=embed_code(episode),
    )


def embed(episode: Episode, shown: bool, theme: str | None = None) -> str:
    """The player frame, or the note saying the episode is no longer diffused."""
    return render_template(
        "embed.html",
        episode=episode if shown else None,
        urls=urls,
        theme=theme,
        chapters=chapter_marks(episode.chapters_json) if shown else (),
        transcript=transcript_of(episode.transcript) if shown else None,
        unpublished=episode.withdrawn_reason == UNPUBLISHED,
    )


def gone_page(episode: Episode) -> str:
    """The 410 page of a withdrawn episode: a neutral note when the head took it off line."""
    neutral = episode.withdrawn_reason == UNPUBLISHED
    return render_template("status.html", status=410, unpublished=neutral)


def widget(shown: Sequence[Episode]) -> str:
    """The latest episodes the schools share with the city."""
    return render_template("city_widget.html", episodes=shown[:10], urls=urls)


def oembed(episode: Episode, width: int = OEMBED_WIDTH, height: int = OEMBED_HEIGHT) -> bytes:
    """The oEmbed 1.0 `rich` answer for a public episode page, as JSON bytes."""
    school = episode.school
    document: Response = current_app.json.response(  # type: ignore[assignment]
        version="1.0",
        type="rich",
        provider_name="webradio",
        provider_url=urls.base() + "/",
        title=episode.title,
        author_name=school.name,
        author_url=urls.school_page(school.slug),
        html=embed_code(episode, width, height),
        width=width,
        height=height,
        cache_age=300,
    )
    return document.get_data()


# --- Every file of a school, and of the city ----------------------------------------------------


def is_shown(episode: Episode, answer: Clearance) -> bool:
    """True when the public channel shows the episode now (as clearance.visibility says)."""
    return (
        episode.state == EpisodeState.PUBLISHED
        and answer.allows(Audience.PUBLIC)
        and bool(episode.media_key)
    )


def school_outputs(school: School, listed: Sequence[tuple[Episode, Clearance]]) -> list[Output]:
    """The school's public files from its listing (newest first): pages, and per episode its
    page, embed, oEmbed, chapters and transcript, or the 410 records once withdrawn.

    Each file is rendered only when what it shows changed (its key), when it is written."""
    shown = [(e, c) for e, c in listed if is_shown(e, c)]
    gone = [e for e, c in listed if not is_shown(e, c) and Audience.PUBLIC in e.published_set]
    episodes = [e for e, _ in shown]
    version = render_version()
    pages = pages_of(len(shown))
    qr: list[str] = []  # made once, at the first page rendered

    def page_maker(page: int) -> Callable[[], bytes]:
        def make() -> bytes:
            qr[:] = qr or [qr_svg(urls.feed(school.slug), "QR code du flux")]
            return school_page(school, episodes, page, qr[0]).encode()

        return make

    found: list[Output] = []
    for page in range(1, pages + 1):
        on_page = shown[(page - 1) * PER_PAGE : page * PER_PAGE]
        key = fingerprint(
            version,
            _school_mark(school),
            page,
            pages,
            *map(_mark, episodes[(page - 1) * PER_PAGE : page * PER_PAGE]),
        )
        until = earliest(c for _, c in on_page)
        found.append(
            Output(page_path(school.slug, page), until=until, key=key, make=page_maker(page))
        )
    for episode, answer in shown:
        found += _episode_outputs(school, episode, answer.authorised_until, version)
    notes: dict[tuple[str, bool], bytes] = {}  # the same note for every withdrawn episode
    for episode in gone:
        key = fingerprint(version, "gone", episode.id, episode.withdrawn_reason)
        found += [
            Output(gone_page_path(school.slug, episode.id), key=key, make=_note(notes, episode)),
            Output(gone_embed_path(episode.id), key=key, make=_note(notes, episode, True)),
            Output(gone_media_path(episode.id), key=key, make=_note(notes, episode)),
        ]
    return found


def _note(
    notes: dict[tuple[str, bool], bytes], episode: Episode, framed: bool = False
) -> Callable[[], bytes]:
    """Render the 410 note of a withdrawn episode (its page, or inside the player frame) when
    written, once per kind of note: it names neither the episode nor why beyond the kind."""

    def make() -> bytes:
        neutral = episode.withdrawn_reason == UNPUBLISHED
        if (kind := ("embed" if framed else "page", neutral)) not in notes:
            notes[kind] = (embed(episode, False) if framed else gone_page(episode)).encode()
        return notes[kind]

    return make


def _episode_outputs(
    school: School, episode: Episode, until: date | None, version: str
) -> list[Output]:
    """The files of one public episode."""
    key = fingerprint(version, _school_mark(school), _mark(episode))
    found = [
        Output(
            episode_path(school.slug, episode.id),
            until=until,
            key=key,
            make=lambda: episode_page(episode).encode(),
        ),
        Output(
            embed_path(episode.id), until=until, key=key, make=lambda: embed(episode, True).encode()
        ),
        Output(
            oembed_path(school.slug, episode.id), until=until, key=key, make=lambda: oembed(episode)
        ),
    ]
    if episode.media_key:
        name = Path(episode.media_key).stem
        found.append(
            Output(media_pass_path(episode.id, name), episode.media_key.encode(), until, False)
        )
    marks = chapter_marks(episode.chapters_json)
    if marks:
        found.append(Output(chapters_path(episode.id), chapters_document(marks), until))
    transcript = transcript_of(episode.transcript)
    if transcript is not None:
        found.append(
            Output(transcript_path(episode.id, transcript.extension), transcript.body, until)
        )
    return found


def city_outputs(shown: Sequence[tuple[Episode, Clearance]]) -> list[Output]:
    """The city widget (the ten latest episodes shared with the city)."""
    latest = [e for e, _ in shown[:10]]
    key = fingerprint(render_version(), "widget", *map(_mark, latest))
    until = earliest(c for _, c in shown[:10])
    return [Output(widget_path(), until=until, key=key, make=lambda: widget(latest).encode())]


# --- What a rendering depends on -----------------------------------------------------------------


def fingerprint(*parts: object) -> str:
    """A short hash of what a file shows: the same parts, the same bytes."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:24]


def _mark(episode: Episode) -> str:
    """What identifies an episode's rendering: its id and its last change."""
    return f"{episode.id}@{episode.updated_at.isoformat()}"


def _school_mark(school: School) -> str:
    """What identifies the school's part of a page: its last change."""
    return f"{school.id}@{school.updated_at.isoformat()}"


def render_version() -> str:
    """What every rendering depends on besides the rows: the templates, the translations, this
    module, the public address and language (a release or a new address renders anew)."""
    digest = hashlib.sha256()
    templates = Path(str(current_app.template_folder))
    sources = [*sorted(templates.glob("*.html")), Path(__file__)]
    sources += sorted(Path(__file__).parent.glob("translations/*/LC_MESSAGES/*.mo"))
    for found in sources:
        digest.update(found.name.encode() + found.read_bytes())
    digest.update(f"{urls.base()}|{current_app.config.get('LANGUAGE')}".encode())
    return digest.hexdigest()[:24]
