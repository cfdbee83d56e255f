"""Domain verbs for episodes: create from takes, render to a tagged master, describe."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from webradio import (
    audit,
    clearance,
    consent,
    feeds,
    publication,
    reasons,
    runtime,
    takes,
    urls,
    voices,
)
from webradio.audio.analyse import Analysis, AudioWarning, analyse, check_has_sound
from webradio.audio.clips import make_jingle
from webradio.audio.presets import configured_max_take_s, configured_preset
from webradio.audio.render import QUIET_PART_LU, PartSource, RenderResult, needed_db, render
from webradio.audio.tags import Chapter, EpisodeTags, read_tags, write_tags
from webradio.clock import today_paris
from webradio.errors import N_, AudioError, NotFound, WebradioError
from webradio.extensions import db
from webradio.models import (
    Episode,
    EpisodePart,
    EpisodeState,
    Pupil,
    School,
    Take,
    TakeOrigin,
    TakeState,
)
from webradio.publishing.companions import chapter_marks
from webradio.storage import scratch_file, sha256_of

SOURCE_ERASED = N_(
    "Un élève entendu dans ce son a été effacé pendant le rendu : le son obtenu est supprimé. "
    "Refaites le rendu (sans sa voix)."
)


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
    # Background noise reduction in the render; None follows the school's setting.
    noise_reduction: bool | None = None


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
    audience = consent.parse_audience(draft.audience)
    pupils = [_pupil_of(school, pid) for pid in draft.participant_ids]
    if any(pupil.archived_at is not None for pupil in pupils):
        raise WebradioError(
            N_("Un élève archivé ne participe pas à un nouvel épisode : restaurez-le d'abord.")
        )
    episode = Episode(
        guid=f"urn:uuid:{uuid.uuid4()}",
        school_id=school.id,
        created_by=created_by,
        title=title[:200],
        description=draft.description.strip(),
        series=draft.series.strip(),
        requested_audience=audience,
        state=EpisodeState.DRAFT,
        noise_reduction=draft.noise_reduction,
    )
    episode.participants = pupils
    for position, take_id in enumerate(draft.take_ids):
        take = takes.get_take(take_id, school)
        if take.origin == TakeOrigin.JINGLE:  # a jingle opens or closes episodes, is no part
            raise NotFound(N_("Aucune prise avec l'identifiant « %(id)s »."), id=take_id)
        if draft.no_pupil_voices:
            voices.attest_voice_free(take)  # the attestation belongs to the sound
        elif pupils and not take.speakers:
            # Participants named for the episode are voices of each take not declared yet
            # (more voices only narrow what the gate clears); staff refine per part later.
            voices.stage_speakers(take, pupils)
        in_s, out_s = _checked_points(draft.points.get(take.id, (None, None)))
        # A chapter title is typed by staff, never taken from a file name ("Partie N" else).
        episode.parts.append(
            EpisodePart(position=position, take_id=take.id, in_s=in_s, out_s=out_s)
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


def queue_render(episode: Episode, actor: publication.Actor = publication.CLI) -> None:
    """Mark the episode `rendering` and queue its render job; an episode published beyond the
    class is re-rendered only by the head (it leaves every channel until published again)."""
    publication.check_may_change(episode, actor)
    episode.state = EpisodeState.RENDERING
    episode.failure_reason = None
    db.session.commit()
    runtime.enqueue("render_episode", episode.id)
    db.session.refresh(episode)


def render_episode(episode_id: str) -> Episode:
    """Render the parts to one tagged master (safe to run twice); failures are kept visible."""
    episode = get_episode(episode_id)
    if episode.state in {EpisodeState.READY, EpisodeState.PUBLISHED} and episode.media_key:
        return episode
    episode.state = EpisodeState.RENDERING
    db.session.commit()
    try:
        _render(episode)
    except AudioError as error:
        episode.state = EpisodeState.FAILED
        episode.fail_with(error)
        db.session.commit()
        raise
    rendered = episode.media_key or ""
    try:
        if _source_erased(episode):  # the new master holds a voice erased while ffmpeg ran
            runtime.storage().delete(rendered)
            episode.media_key = episode.media_size = episode.duration_s = None
            episode.state, episode.failure_reason = EpisodeState.FAILED, SOURCE_ERASED
        else:
            episode.state, episode.failure_reason = EpisodeState.READY, None
        db.session.commit()
    except SQLAlchemyError:  # the episode itself was erased meanwhile: its master goes too
        db.session.rollback()
        runtime.storage().delete(rendered)
        raise
    if episode.state == EpisodeState.FAILED:
        raise WebradioError(SOURCE_ERASED)  # the job says so too
    return episode


def _source_erased(episode: Episode) -> bool:
    """Whether a take or jingle of the master lost its sound while it rendered (an erasure
    deletes the audio of every take holding the voice), read from the database as it is now."""
    used = [part.take_id for part in episode.parts]
    used += [i for i in (episode.intro_jingle_id, episode.outro_jingle_id) if i is not None]
    with db.session.no_autoflush:
        gone = select(Take.id).where(Take.id.in_(used), Take.deleted_at.is_not(None))
        return db.session.scalars(gone.limit(1)).first() is not None


def _render(episode: Episode) -> None:
    """Analyse missing takes, render, tag, and store the master under its content hash.

    The jingles rendered in are recorded on the episode (their voices are asked by the gate),
    and their spans are kept beside the chapters so that a re-edit can cut them out."""
    store = runtime.storage()
    school = episode.school
    # (part id or None, jingle take or None, source) in the order they are heard
    placed_sources: list[tuple[str | None, Take | None, PartSource]] = []
    intro, outro = school.intro_jingle, school.outro_jingle
    if intro is not None and store.exists(intro.storage_key):
        placed_sources.append((None, intro, _jingle_source(intro)))
    for number, part in enumerate(episode.parts, start=1):
        analysis = takes.analyse_take(part.take_id)
        source = PartSource(
            path=store.local_path(part.take.storage_key),
            analysis=analysis,
            in_s=part.in_s,
            out_s=part.out_s,
            title=part.title or PART_N % {"n": number},
        )
        placed_sources.append((part.id, None, source))
    if outro is not None and store.exists(outro.storage_key):
        placed_sources.append((None, outro, _jingle_source(outro)))
    scratch = scratch_file(store, f"{episode.id}.mp3")
    try:
        result, spans = _render_tagged(episode, placed_sources, scratch)
        stored = store.put_file(f"masters/{episode.id}/{_sha12(scratch)}.mp3", scratch)
    finally:
        scratch.unlink(missing_ok=True)  # moved into the store, or left by a failure
    former = episode.media_key
    episode.media_key = stored.key
    episode.media_size = stored.size_bytes
    episode.duration_s = result.duration_s
    used = [jingle for _, jingle, _ in placed_sources if jingle is not None]
    episode.intro_jingle_id = intro.id if intro is not None and intro in used else None
    episode.outro_jingle_id = outro.id if outro is not None and outro in used else None
    episode.chapters_json = json.dumps(
        [
            {"title": c.title, "start_s": c.start_s, "end_s": c.end_s}
            | ({"part_id": part_id} if part_id else {"jingle_id": jingle.id if jingle else None})
            for part_id, jingle, c in spans
        ]
    )
    episode.render_report_json = json.dumps(
        {
            "output_lufs": result.output_lufs,
            "output_true_peak_dbtp": result.output_true_peak_dbtp,
            "gains_db": list(result.gains_db),
            "warnings": [_stored_warning(w) for w in result.warnings],
        }
    )
    if former and former != stored.key:
        store.delete(former)  # a former master may hold a voice that has left since


def _stored_warning(warning: AudioWarning) -> dict[str, Any]:
    """A render warning as the report keeps it; a jingle's name or an untitled part's in it
    (French labels) are translated with the sentence on English pages."""
    stored = warning.to_dict()
    params = stored.get("params") or {}
    default = re.fullmatch(r"Partie (\d+)", str(params.get("title", "")))
    if params.get("title") in JINGLE_KINDS.values():
        stored["params"] = params | {"_translate": ["title"]}
    elif default:  # an untitled part: « Partie 2 », "Part 2"
        stored["params"] = params | {"title": PART_N, "n": int(default[1]), "_translate": ["title"]}
    return stored


def _render_tagged(
    episode: Episode,
    placed_sources: list[tuple[str | None, Take | None, PartSource]],
    scratch: Path,
) -> tuple[RenderResult, list[tuple[str | None, Take | None, Chapter]]]:
    """Render the placed sources to `scratch` and tag it: the render's result, and each
    source's span (its part or jingle, its chapter)."""
    school = episode.school
    sources = [source for _, _, source in placed_sources]
    preset = configured_preset(school.preset, noise_reduction=reduces_noise(episode))
    result = render(sources, preset, scratch, runtime.ffmpeg())
    spans = [
        (part_id, jingle, Chapter(source.title, start, end))
        for (part_id, jingle, source), (start, end) in zip(
            placed_sources, result.chapters, strict=True
        )
    ]
    # One chapter per part; the jingles belong to no part and get no chapter.
    chapters = tuple(chapter for part_id, _, chapter in spans if part_id is not None)
    artwork = runtime.storage().local_path(feeds.ensure_artwork(school)).read_bytes()
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
    return result, spans


def reduces_noise(episode: Episode) -> bool:
    """Whether the episode's render reduces background noise: its own choice, else the
    school's setting."""
    if episode.noise_reduction is not None:
        return episode.noise_reduction
    return bool(episode.school.noise_reduction)


def noisy(take: Take) -> bool:
    """Whether the take's sound report says its background noise is loud beside the voices
    (the report then recommends noise reduction)."""
    analysis = take.analysis or {}
    return any(w.get("code") == "noisy" for w in analysis.get("warnings", ()))


JINGLE_KINDS: dict[str, str] = {
    "intro": N_("Jingle de début"),
    "outro": N_("Jingle de fin"),
}
# A jingle longer than this is refused: it opens or closes an episode, no more.
JINGLE_MAX_S = 30.0
PART_N = N_("Partie %(n)d")  # an untitled part's chapter, in the master and its tags
QUIET_JINGLE = N_(
    "Ce jingle est très faible (%(lufs).0f LUFS) : même monté au maximum (+%(gain).0f dB), il "
    "restera nettement moins fort que les voix. Choisissez un fichier plus fort si vous le pouvez."
)


def jingle_of(school: School, which: str) -> Take | None:
    """The school's intro or outro jingle (a take of origin `jingle`), if it has one."""
    _check_kind(which)
    return school.intro_jingle if which == "intro" else school.outro_jingle


def _check_kind(which: str) -> None:
    """NotFound unless `which` is intro or outro."""
    if which not in JINGLE_KINDS:
        raise NotFound(N_("Pas de jingle ici."))


def _set_jingle(school: School, which: str, take: Take | None) -> None:
    """Record the jingle on the school."""
    if which == "intro":
        school.intro_jingle = take
    else:
        school.outro_jingle = take
    db.session.commit()


def store_jingle(
    school: School,
    which: str,
    stream: IO[bytes],
    speaker_ids: Sequence[str] = (),
    voice_free: bool = False,
) -> tuple[Take, AudioWarning | None]:
    """Keep an uploaded jingle once it proves to be short, audible audio, with its voices:
    the pupils who speak in it, or the head's attestation that none does; with the advice to
    choose a louder file when even the gain's cap leaves it well under the voices."""
    _check_kind(which)
    store = runtime.storage()
    stored = store.put_stream("jingles", stream, 50 * 1024 * 1024)
    analysis = analyse(
        store.local_path(stored.key), runtime.ffmpeg(), max_seconds=configured_max_take_s()
    )
    check_has_sound(analysis)
    if analysis.duration_s > JINGLE_MAX_S:
        raise AudioError(
            "jingle_too_long",
            N_("Un jingle dure au plus %(max).0f secondes ; celui-ci en dure %(s).0f."),
            max=JINGLE_MAX_S,
            s=analysis.duration_s,
        )
    take = _jingle_take(school, which, stored.key, stored.sha256, stored.size_bytes)
    voices.stage_speakers(take, voices.school_pupils(school.id, speaker_ids))
    if voice_free and not take.speakers:
        voices.attest_voice_free(take)
    _set_jingle(school, which, take)
    return take, _quiet_jingle(school, analysis)


def _quiet_jingle(school: School, analysis: Analysis) -> AudioWarning | None:
    """The advice for a jingle that the gain's cap leaves further under the target than the
    render flags (render.QUIET_PART_LU), else None."""
    preset = configured_preset(school.preset)
    if needed_db(analysis.integrated_lufs, analysis.channels, preset) - preset.max_gain_db <= (
        QUIET_PART_LU
    ):
        return None
    params = {"lufs": analysis.integrated_lufs, "gain": preset.max_gain_db}
    return AudioWarning("quiet_jingle", QUIET_JINGLE, params)


def _jingle_take(school: School, which: str, key: str, sha256: str, size: int) -> Take:
    """A new take row for a jingle's sound."""
    take = Take(
        school_id=school.id,
        label=which,
        origin=TakeOrigin.JINGLE,
        sha256=sha256,
        storage_key=key,
        size_bytes=size,
        state=TakeState.READY,
    )
    db.session.add(take)
    return take


def generate_jingle(school: School, which: str) -> Take:
    """Give the school the generated chime as its jingle (the outro a little longer); a
    synthetic chime holds no voice, so it is attested voice-free."""
    _check_kind(which)
    store = runtime.storage()
    scratch = store.scratch_dir() / f"jingle-{uuid.uuid4().hex}.wav"
    make_jingle(scratch, runtime.ffmpeg(), seconds=3.0 if which == "intro" else 4.0)
    stored = store.put_file(f"jingles/{school.id}-{which}-defaut.wav", scratch)
    take = _jingle_take(school, which, stored.key, stored.sha256, stored.size_bytes)
    voices.attest_voice_free(take)
    _set_jingle(school, which, take)
    return take


def remove_jingle(school: School, which: str) -> None:
    """The school's episodes go without this jingle from now on (the file stays)."""
    _check_kind(which)
    _set_jingle(school, which, None)


def _jingle_source(jingle: Take) -> PartSource:
    """A jingle as a part of the master, analysed now (it is seconds long)."""
    path = runtime.storage().local_path(jingle.storage_key)
    analysis = analyse(path, runtime.ffmpeg(), max_seconds=configured_max_take_s())
    return PartSource(path=path, analysis=analysis, title=JINGLE_KINDS.get(jingle.label, ""))


def _sha12(path: Path) -> str:
    """The first 12 hex digits of the file's SHA-256 (the master's versioned name)."""
    return sha256_of(path)[:12]


def describe(episode: Episode) -> dict[str, object]:
    """What `episode show --json` prints (CONTRACT.md section 1)."""
    answer = clearance.of(episode)
    audiences = list(clearance.live(episode, answer))
    public = "public" in audiences
    slug = episode.school.slug
    known = reasons.first_names(episode.school_id)
    return {
        "id": episode.id,
        "guid": episode.guid,
        "state": episode.state,
        "title": episode.title,
        "school": slug,
        "requested_audience": episode.requested_audience,
        "audiences": audiences,
        "blocked": [
            {
                "audience": a,
                "reason": reasons.audience_reason(answer, a, known),
                "causes": sorted({b.cause for b in answer.blocks_for(a)}),
                "pupils": list(answer.blamed(a)),
            }
            for a in answer.blocked_audiences()
        ],
        "failure_reason": episode.failure_reason,
        "page_url": urls.episode_page(slug, episode.id) if public else None,
        "media_url": urls.media(episode.id, episode.media_key)
        if public and episode.media_key
        else None,
        "embed_url": urls.embed(episode.id) if public else None,
        "duration_s": episode.duration_s,
        "media_size": episode.media_size,
    }


def retag(episode: Episode) -> None:
    """Write the master again with the episode's text in its tags (title, description,
    chapters) under a new content-addressed name; former masters are deleted."""
    from webradio import reedit

    assert episode.media_key
    store = runtime.storage()
    scratch = scratch_file(store, f"{episode.id}-retag.mp3")
    shutil.copyfile(store.local_path(episode.media_key), scratch)
    try:
        tags = read_tags(scratch)
        marks = chapter_marks(episode.chapters_json)
        chapters = tuple(
            Chapter(m.title, m.start_s, m.end_s if m.end_s is not None else m.start_s)
            for m in marks
        )
        write_tags(
            scratch,
            dataclasses.replace(
                tags,
                title=episode.title,
                album=episode.series or episode.school.name,
                comment=episode.description,
                chapters=chapters,
            ),
        )
        stored = store.put_file(f"masters/{episode.id}/{_sha12(scratch)}.mp3", scratch)
    finally:
        scratch.unlink(missing_ok=True)
    episode.media_key, episode.media_size = stored.key, stored.size_bytes
    reedit.delete_former_masters(episode)


@dataclass(frozen=True)
class TextEdit:
    """Staff corrections of an episode's words: title, description, chapter titles by part."""

    title: str
    description: str
    chapter_titles: Mapping[str, str] = field(default_factory=dict)


def _words(episode: Episode, edit: TextEdit) -> publication.Words:
    """The corrected words, trimmed, every part's chapter title filled in; a title required."""
    title = edit.title.strip()
    if not title:
        raise WebradioError(N_("Donnez un titre à l'épisode."))
    return publication.Words(
        title[:200],
        edit.description.strip(),
        {p.id: edit.chapter_titles.get(p.id, p.title).strip()[:200] for p in episode.parts},
    )


def edit_text(episode: Episode, edit: TextEdit, actor: publication.Actor) -> None:
    """Correct the episode's words. Beyond the class only the head may (CONTRACT s. 2); the
    gate reads the new words on the commit (a name found narrows every channel at once)."""
    words = _words(episode, edit)
    publication.check_may_change(episode, actor)
    episode.title = words.title
    episode.description = words.description
    for part in episode.parts:
        part.title = words.chapter_titles[part.id]
    if episode.chapters_json:
        marks = json.loads(episode.chapters_json)
        by_part = {p.id: p.title for p in episode.parts}
        for number, mark in enumerate((m for m in marks if "part_id" in m), start=1):
            mark["title"] = by_part.get(mark["part_id"]) or PART_N % {"n": number}
        episode.chapters_json = json.dumps(marks)
    if episode.media_key:
        retag(episode)
    publication.reconsider([episode], actor.id)


def propose_text(episode: Episode, edit: TextEdit, actor: publication.Actor) -> None:
    """A teacher's correction of an episode published beyond the class: kept for the head,
    who approves it (applied as the head's own edit) or refuses it with a comment."""
    publication.propose_words(episode, _words(episode, edit), actor)


def approve_correction(episode: Episode, actor: publication.Actor, comment: str = "") -> None:
    """The head approves the pending correction: its words go through `edit_text`, so the
    gate reads them on the same commit (a first name found narrows the channels at once)."""
    words = publication.take_pending_words(episode, actor, comment)
    edit_text(episode, TextEdit(words.title, words.description, words.chapter_titles), actor)


def delete_take(take: Take, actor: publication.Actor) -> None:
    """Delete a take (its audio and waveform) that no episode uses. A copy of a sound an
    episode holds (the same file sent again) is kept too: the voices declared on it are voices
    of that episode, and deleting it would make the gate forget them."""
    school = db.session.get(School, take.school_id)
    jingle_now = school is not None and take.id in {school.intro_jingle_id, school.outro_jingle_id}
    hearing = voices.episodes_hearing(take)
    itself = [e for e in hearing if take.id in {e.intro_jingle_id, e.outro_jingle_id}]
    itself += [e for e in hearing if take.id in {p.take_id for p in e.parts}]
    if jingle_now or itself:
        raise WebradioError(
            N_("Cette prise est dans un épisode : supprimez d'abord l'épisode ou retirez-la.")
        )
    if hearing:
        raise WebradioError(
            N_(
                "Le même son (ce fichier, envoyé une autre fois) est dans un épisode : les voix "
                "déclarées sur cette prise restent celles de l'épisode. Supprimez d'abord "
                "l'épisode."
            )
        )
    store = runtime.storage()
    shared = db.session.scalars(
        select(Take.id).where(Take.storage_key == take.storage_key, Take.id != take.id)
    ).first()
    if shared is None:
        store.delete(take.storage_key)
    store.delete(takes.peaks_key(take.id))
    take.speakers = []
    audit.record("take.deleted", "take", take.id, take.school_id, actor.id, reason="staff")
    db.session.delete(take)
    db.session.commit()
