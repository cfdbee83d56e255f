"""Domain verbs for episodes: create from takes, render to a tagged master, describe."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from webradio import consent, feeds, publication, runtime, takes, urls
from webradio.audio.analyse import analyse, check_has_sound
from webradio.audio.clips import make_jingle
from webradio.audio.presets import configured_preset
from webradio.audio.render import PartSource, render
from webradio.audio.tags import Chapter, EpisodeTags, write_tags
from webradio.clock import today_paris
from webradio.errors import N_, AudioError, NotFound, WebradioError
from webradio.extensions import db
from webradio.models import Episode, EpisodePart, Pupil, School
from webradio.storage import sha256_of


@dataclass(frozen=True)
class EpisodeDraft:
    """What a teacher asks for: takes in order, who speaks, and for which audience."""

    title: str
    take_ids: Sequence[str]
    audience: str
    participant_ids: Sequence[str] = ()
    no_pupil_voices: bool = False
    description: str = ""
    series: str = ""
    # take id -> (in point, out point) in the take's seconds; None keeps the automatic trim.
    points: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)


def create(school: School, draft: EpisodeDraft, created_by: str | None = None) -> Episode:
    """Record an episode (state `draft`); its render is queued separately."""
    title = draft.title.strip()
    if not title:
        raise WebradioError(N_("Donnez un titre à l'épisode."))
    if not draft.take_ids:
        raise WebradioError(N_("Choisissez au moins une prise."))
    if draft.no_pupil_voices and draft.participant_ids:
        raise WebradioError(
            N_("Cochez « aucune voix d'élève » ou nommez les participants, pas les deux.")
        )
    consent.parse_audience(draft.audience)
    pupils = [_pupil_of(school, pid) for pid in draft.participant_ids]
    episode = Episode(
        guid=f"urn:uuid:{uuid.uuid4()}",
        school_id=school.id,
        created_by=created_by,
        title=title[:200],
        description=draft.description.strip(),
        series=draft.series.strip(),
        requested_audience=draft.audience,
        no_pupil_voices=draft.no_pupil_voices,
        state="draft",
    )
    episode.participants = pupils
    for position, take_id in enumerate(draft.take_ids):
        take = takes.get_take(take_id, school)
        in_s, out_s = _checked_points(draft.points.get(take.id, (None, None)))
        episode.parts.append(
            EpisodePart(
                position=position, take_id=take.id, title=take.label, in_s=in_s, out_s=out_s
            )
        )
    db.session.add(episode)
    db.session.commit()
    return episode


def _checked_points(points: tuple[float | None, float | None]) -> tuple[float | None, float | None]:
    """In and out points rounded to the tenth of a second; an error if out is before in."""
    in_s, out_s = (None if p is None else round(max(0.0, float(p)), 1) for p in points)
    if in_s is not None and out_s is not None and out_s - in_s < 0.5:
        raise WebradioError(
            N_("Le point de sortie doit venir au moins une demi-seconde après le point d'entrée.")
        )
    return in_s, out_s


def _pupil_of(school: School, pupil_id: str) -> Pupil:
    """A pupil of this school, or NotFound."""
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None or pupil.school_id != school.id or pupil.erased_at is not None:
        raise NotFound(N_("Aucun élève « %(id)s » dans cette école."), id=pupil_id)
    return pupil


def get_episode(episode_id: str, school: School | None = None) -> Episode:
    """The episode with this id (within `school` when given), or NotFound."""
    episode = db.session.get(Episode, episode_id)
    if episode is None or (school is not None and episode.school_id != school.id):
        raise NotFound(N_("Aucun épisode « %(id)s »."), id=episode_id)
    return episode


def queue_render(episode: Episode) -> None:
    """Mark the episode `rendering` and queue its render job."""
    episode.state = "rendering"
    episode.failure_reason = None
    db.session.commit()
    runtime.enqueue("render_episode", episode.id)
    db.session.refresh(episode)


def render_episode(episode_id: str) -> Episode:
    """Render the parts to one tagged master (safe to run twice); failures are kept visible."""
    episode = get_episode(episode_id)
    if episode.state in {"ready", "published"} and episode.media_key:
        return episode
    episode.state = "rendering"
    db.session.commit()
    try:
        _render(episode)
    except AudioError as error:
        episode.state = "failed"
        episode.failure_reason = str(error)
        db.session.commit()
        raise
    episode.state = "ready"
    episode.failure_reason = None
    db.session.commit()
    return episode


def _render(episode: Episode) -> None:
    """Analyse missing takes, render, tag, and store the master under its content hash."""
    store = runtime.storage()
    sources: list[PartSource] = []
    part_ids: list[str | None] = []
    intro = _jingle_source(episode.school, "intro")
    if intro is not None:
        sources.append(intro)
        part_ids.append(None)
    for number, part in enumerate(episode.parts, start=1):
        analysis = takes.analyse_take(part.take_id)
        sources.append(
            PartSource(
                path=store.local_path(part.take.storage_key),
                analysis=analysis,
                in_s=part.in_s,
                out_s=part.out_s,
                title=part.title or f"Partie {number}",
            )
        )
        part_ids.append(part.id)
    outro = _jingle_source(episode.school, "outro")
    if outro is not None:
        sources.append(outro)
        part_ids.append(None)
    school = episode.school
    scratch = store.scratch_dir() / f"{episode.id}.mp3"
    result = render(sources, configured_preset(school.preset), scratch, runtime.ffmpeg())
    # One chapter per part; the jingles belong to no part and get no chapter.
    placed = [
        (part_id, Chapter(source.title, start, end))
        for part_id, source, (start, end) in zip(part_ids, sources, result.chapters, strict=True)
        if part_id is not None
    ]
    chapters = tuple(chapter for _, chapter in placed)
    artwork = store.local_path(feeds.ensure_artwork(school)).read_bytes()
    write_tags(
        scratch,
        EpisodeTags(
            title=episode.title,
            artist=school.name,
            album=episode.series or school.name,
            date=today_paris().isoformat(),
            comment=episode.description,
            url=urls.episode_page(school.slug, episode.id),
            audience=episode.requested_audience,
            consent_url=urls.consent_page(school.slug),
            chapters=chapters,
            artwork_png=artwork,
        ),
    )
    digest = _sha12(scratch)
    stored = store.put_file(f"masters/{episode.id}/{digest}.mp3", scratch)
    episode.media_key = stored.key
    episode.media_size = stored.size_bytes
    episode.duration_s = result.duration_s
    episode.chapters_json = json.dumps(
        [
            {"title": c.title, "start_s": c.start_s, "end_s": c.end_s, "part_id": part_id}
            for part_id, c in placed
        ]
    )
    episode.render_report_json = json.dumps(
        {
            "output_lufs": result.output_lufs,
            "output_true_peak_dbtp": result.output_true_peak_dbtp,
            "gains_db": list(result.gains_db),
            "warnings": [{"code": w.code, "message": w.message} for w in result.warnings],
        }
    )


JINGLE_KINDS: dict[str, str] = {
    "intro": N_("Jingle de début"),
    "outro": N_("Jingle de fin"),
}
# A jingle longer than this is refused: it opens or closes an episode, no more.
JINGLE_MAX_S = 30.0


def jingle_key(school: School, which: str) -> str | None:
    """Storage key of the school's intro or outro jingle, if it has one."""
    _check_kind(which)
    return school.intro_jingle_key if which == "intro" else school.outro_jingle_key


def _check_kind(which: str) -> None:
    """NotFound unless `which` is intro or outro."""
    if which not in JINGLE_KINDS:
        raise NotFound(N_("Pas de jingle ici."))


def _set_jingle(school: School, which: str, key: str | None) -> None:
    """Record the jingle's key on the school."""
    if which == "intro":
        school.intro_jingle_key = key
    else:
        school.outro_jingle_key = key
    db.session.commit()


def store_jingle(school: School, which: str, stream: IO[bytes]) -> str:
    """Keep an uploaded jingle once it proves to be short, audible audio; returns its key."""
    _check_kind(which)
    store = runtime.storage()
    stored = store.put_stream("jingles", stream, 50 * 1024 * 1024)
    analysis = analyse(store.local_path(stored.key), runtime.ffmpeg())
    check_has_sound(analysis)
    if analysis.duration_s > JINGLE_MAX_S:
        raise AudioError(
            "jingle_too_long",
            N_("Un jingle dure au plus %(max).0f secondes ; celui-ci en dure %(s).0f."),
            max=JINGLE_MAX_S,
            s=analysis.duration_s,
        )
    _set_jingle(school, which, stored.key)
    return stored.key


def generate_jingle(school: School, which: str) -> str:
    """Give the school the generated chime as its jingle (the outro a little longer)."""
    _check_kind(which)
    store = runtime.storage()
    scratch = store.scratch_dir() / f"jingle-{uuid.uuid4().hex}.wav"
    make_jingle(scratch, runtime.ffmpeg(), seconds=3.0 if which == "intro" else 4.0)
    key = f"jingles/{school.id}-{which}-defaut.wav"
    store.put_file(key, scratch)
    _set_jingle(school, which, key)
    return key


def remove_jingle(school: School, which: str) -> None:
    """The school's episodes go without this jingle from now on (the file stays)."""
    _check_kind(which)
    _set_jingle(school, which, None)


def _jingle_source(school: School, which: str) -> PartSource | None:
    """The school's jingle as a part of the master, analysed now (it is seconds long)."""
    key = jingle_key(school, which)
    store = runtime.storage()
    if key is None or not store.exists(key):
        return None
    path = store.local_path(key)
    return PartSource(path=path, analysis=analyse(path, runtime.ffmpeg()), title=which)


def _sha12(path: Path) -> str:
    """The first 12 hex digits of the file's SHA-256 (the master's versioned name)."""
    return sha256_of(path)[:12]


def describe(episode: Episode) -> dict[str, object]:
    """What `episode show --json` prints (CONTRACT.md section 1)."""
    cleared = publication.clearance(episode)
    audiences = list(publication.live_audiences(episode))
    public = "public" in audiences
    slug = episode.school.slug
    return {
        "id": episode.id,
        "guid": episode.guid,
        "state": episode.state,
        "title": episode.title,
        "school": slug,
        "requested_audience": episode.requested_audience,
        "audiences": audiences,
        "blocked": [{"audience": b.audience, "reason": b.reason} for b in cleared.blocked],
        "failure_reason": episode.failure_reason,
        "page_url": urls.episode_page(slug, episode.id) if public else None,
        "media_url": urls.media(episode.id, episode.media_key)
        if public and episode.media_key
        else None,
        "embed_url": urls.embed(episode.id) if public else None,
        "duration_s": episode.duration_s,
        "media_size": episode.media_size,
    }
