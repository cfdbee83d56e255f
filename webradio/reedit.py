"""Re-editing after a withdrawal: cut a pupil's parts out of the master by chapter bounds.

Each part of an episode is one chapter of its master, so no raw take is needed: the master is
trimmed with ffmpeg (`atrim`, short fades, `concat`), re-tagged, stored under a new
content-hashed name (a new media URL, the same GUID), and republished through the gate.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from webradio import audit, clearance, names, publication, runtime
from webradio.audio import cut as audio_cut
from webradio.audio.presets import get_preset
from webradio.audio.tags import Chapter, read_tags, write_tags
from webradio.consent import tiers_up_to
from webradio.errors import N_, ConsentRefused, WebradioError
from webradio.extensions import db
from webradio.models import Episode, EpisodePart, EpisodeState, Pupil, Take
from webradio.storage import scratch_file, sha256_of

CHANGED_MEANWHILE = N_(
    "L’épisode a changé pendant le remontage (un effacement ou un autre remontage) : le son "
    "obtenu est supprimé. Rouvrez l’épisode et recommencez."
)


@dataclass(frozen=True)
class Segment:
    """One chapter of the master, the part it plays, and whether it is cut."""

    title: str
    start_s: float
    end_s: float
    part: EpisodePart | None
    cut: bool
    jingle: Take | None = None


@dataclass(frozen=True)
class Outcome:
    """What the re-edit did, as a French message with its fields."""

    message: str
    params: dict[str, object]


def blocking_pupils(episode: Episode) -> list[Pupil]:
    """The voices who keep the episode from an audience it was published (or asked) for:
    the gate's own answer, read as data (never from its sentences)."""
    answer = clearance.of(episode)
    wanted = episode.published_set or set(tiers_up_to(episode.requested_audience))
    blamed = {p for a in wanted if not answer.allows(a) for p in answer.blamed(a)}
    return [p for p in clearance.voices(episode) if p.id in blamed]


def chapters(episode: Episode) -> list[dict[str, object]]:
    """The master's chapters as stored (title, start_s, end_s, maybe part_id)."""
    if not episode.chapters_json:
        return []
    loaded = json.loads(episode.chapters_json)
    return [c for c in loaded if isinstance(c, dict)]


def plan(episode: Episode, pupils: list[Pupil]) -> list[Segment]:
    """Match chapters to parts (by part_id, else by order) and jingle spans to their jingles,
    and mark those the pupils speak in."""
    stored = chapters(episode)
    parts = sorted(episode.parts, key=lambda p: p.position)
    by_id = {p.id: p for p in parts}
    jingles = {t.id: t for t in episode.jingles()}
    part_chapters = [c for c in stored if "jingle_id" not in c]
    if not all("part_id" in c for c in part_chapters) and len(part_chapters) != len(parts):
        raise WebradioError(
            N_("Les chapitres du son ne correspondent pas aux parties ; refaites le rendu.")
        )
    ids = {p.id for p in pupils}
    segments = []
    index = 0
    for chapter in stored:
        jingle = jingles.get(str(chapter.get("jingle_id"))) if "jingle_id" in chapter else None
        part = None
        if "jingle_id" not in chapter:
            part_id = chapter.get("part_id")
            part = by_id.get(str(part_id)) if part_id else parts[index]
            index += 1
        source = part.take if part is not None else jingle
        cut = source is not None and any(s.id in ids for s in source.speakers)
        segments.append(
            Segment(
                str(chapter.get("title", "")),
                float(str(chapter["start_s"])),
                float(str(chapter["end_s"])),
                part,
                cut,
                jingle,
            )
        )
    return segments


def reedit(episode: Episode, pupils: list[Pupil], actor: publication.Actor) -> Outcome:
    """Cut the pupils' parts, store the new master, drop them as participants, then publish
    again through the same approval as a first publication (a teacher's is a request)."""
    cut(episode, pupils, actor.id)
    db.session.commit()
    return _republish(episode, pupils, actor)


def cut(episode: Episode, pupils: list[Pupil], actor_id: str | None) -> None:
    """Stage the master without the pupils' parts and jingles (by chapter bounds): the new
    master is stored, every former one deleted, the parts, participants and transcript cues
    that held them dropped. The caller commits."""
    segments = _checked_plan(episode, pupils)
    old_key = episode.media_key
    assert old_key is not None
    store = runtime.storage()
    scratch = scratch_file(store, f"{episode.id}-reedit.mp3")
    try:
        tags = read_tags(store.local_path(old_key))
        kept, spans = cut_master(store.local_path(old_key), segments, scratch, episode)
        write_tags(scratch, dataclasses.replace(tags, chapters=tuple(c for c, _ in kept)))
        digest = sha256_of(scratch)[:12]
        stored = store.put_file(f"masters/{episode.id}/{digest}.mp3", scratch)
    finally:
        scratch.unlink(missing_ok=True)
    if _master_now(episode) != old_key:
        # Another change (an erasure, another re-edit) replaced or deleted the master while
        # ffmpeg cut this one: the cut holds voices that may have left since. It goes.
        if stored.key != _master_now(episode):
            store.delete(stored.key)
        raise WebradioError(CHANGED_MEANWHILE)
    _apply(episode, segments, spans, pupils, stored.key, stored.size_bytes)
    episode.transcript = cut_transcript(episode.transcript, spans)
    delete_former_masters(episode)  # they hold the voice that was cut
    audit.record(
        "episode.reedited",
        "episode",
        episode.id,
        episode.school_id,
        actor_id,
        parts_cut=sum(s.cut for s in segments),
    )


def _master_now(episode: Episode) -> str | None:
    """The episode's master as the database holds it now (None when the episode is gone)."""
    with db.session.no_autoflush:
        query = select(Episode.media_key).where(Episode.id == episode.id)
        return db.session.execute(query).scalar_one_or_none()


def delete_former_masters(episode: Episode) -> None:
    """Delete every master of the episode but the current one (and all when it has none)."""
    store = runtime.storage()
    folder = store.local_path(f"masters/{episode.id}/x").parent
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        key = f"masters/{episode.id}/{path.name}"
        if key != episode.media_key:
            store.delete(key)


def _checked_plan(episode: Episode, pupils: list[Pupil]) -> list[Segment]:
    """The plan, refused when it cuts nothing, everything, or misses a pupil's parts."""
    if not episode.media_key or episode.state not in {
        EpisodeState.READY,
        EpisodeState.PUBLISHED,
        EpisodeState.WITHDRAWN,
    }:
        raise WebradioError(N_("Le son de cet épisode n'est pas prêt ; rien à remonter."))
    if not pupils:
        raise WebradioError(N_("Choisissez au moins un élève dont retirer les passages."))
    segments = plan(episode, pupils)
    for pupil in pupils:
        sources = [s.part.take if s.part else s.jingle for s in segments if s.cut]
        if not any(source is not None and pupil in source.speakers for source in sources):
            raise WebradioError(
                N_("Indiquez d'abord dans quelles parties parle %(name)s."), name=pupil.first_name
            )
    if all(s.cut for s in segments if s.part is not None):
        raise WebradioError(
            N_("Toutes les parties seraient coupées : il ne resterait rien à diffuser.")
        )
    return segments


def kept_spans(segments: list[Segment], total_s: float) -> list[tuple[float, float]]:
    """The master's time outside every cut chapter (jingles and gaps stay)."""
    spans: list[tuple[float, float]] = []
    cursor = 0.0
    for segment in sorted((s for s in segments if s.cut), key=lambda s: s.start_s):
        if segment.start_s > cursor:
            spans.append((cursor, segment.start_s))
        cursor = max(cursor, segment.end_s)
    if total_s > cursor:
        spans.append((cursor, total_s))
    return [(a, b) for a, b in spans if b - a > 0.02]


def on_new_timeline(moment: float, spans: list[tuple[float, float]]) -> float:
    """Where a moment of the old master falls once only `spans` are kept, end to end."""
    return sum(max(0.0, min(moment, end) - start) for start, end in spans)


def cut_master(
    master: Path, segments: list[Segment], out: Path, episode: Episode
) -> tuple[list[tuple[Chapter, EpisodePart | None]], list[tuple[float, float]]]:
    """Write the cut master to `out`; the kept chapters in the new timeline with their parts,
    and the spans of the old master that were kept."""
    total = max([episode.duration_s or 0.0, *(s.end_s for s in segments)])
    spans = kept_spans(segments, total)
    # The audio layer cuts, limits and measures the MP3: a cut over the true-peak ceiling is
    # refused there and the old master kept.
    audio_cut.cut_master(master, spans, out, get_preset(episode.school.preset), runtime.ffmpeg())
    kept: list[tuple[Chapter, EpisodePart | None]] = []
    for segment in segments:
        if not segment.cut and segment.part is not None:
            begin, finish = (
                on_new_timeline(segment.start_s, spans),
                on_new_timeline(segment.end_s, spans),
            )
            kept.append((Chapter(segment.title, round(begin, 3), round(finish, 3)), segment.part))
    return kept, spans


def _apply(
    episode: Episode,
    segments: list[Segment],
    spans: list[tuple[float, float]],
    pupils: list[Pupil],
    key: str,
    size: int,
) -> None:
    """Record the new master, its chapters and jingle spans, the remaining parts, jingles and
    participants."""
    cut_parts = {s.part.id for s in segments if s.cut and s.part is not None}
    episode.parts = [p for p in episode.parts if p.id not in cut_parts]
    for position, part in enumerate(sorted(episode.parts, key=lambda p: p.position)):
        part.position = position
    cut_jingles = {s.jingle.id for s in segments if s.cut and s.jingle is not None}
    if episode.intro_jingle_id in cut_jingles:
        episode.intro_jingle_id = None
    if episode.outro_jingle_id in cut_jingles:
        episode.outro_jingle_id = None
    ids = {p.id for p in pupils}
    episode.participants = [p for p in episode.participants if p.id not in ids]
    episode.media_key, episode.media_size = key, size
    episode.duration_s = round(sum(end - start for start, end in spans), 3)
    entries = []
    for segment in segments:
        if segment.cut:
            continue
        entry: dict[str, object] = {
            "title": segment.title,
            "start_s": round(on_new_timeline(segment.start_s, spans), 3),
            "end_s": round(on_new_timeline(segment.end_s, spans), 3),
        }
        if segment.part is not None:
            entry["part_id"] = segment.part.id
        else:
            entry["jingle_id"] = segment.jingle.id if segment.jingle else None
        entries.append(entry)
    episode.chapters_json = json.dumps(entries)


_TIMING = re.compile(
    r"^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{3})(.*)$"
)


def _seconds(stamp: str) -> float:
    """A WebVTT or SRT time stamp in seconds."""
    parts = [float(p) for p in stamp.replace(",", ".").split(":")]
    return sum(value * 60**power for power, value in enumerate(reversed(parts)))


def _stamp(seconds: float, srt: bool) -> str:
    """Seconds as a time stamp in the transcript's own format."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    sep = "," if srt else "."
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{millis:03d}"


def cut_transcript(text: str | None, spans: list[tuple[float, float]]) -> str | None:
    """The transcript without the cues heard in a cut span, the others moved onto the new
    timeline (WebVTT or SRT; anything else is dropped rather than left wrong)."""
    if not text:
        return text
    blocks = re.split(r"\n\s*\n", text.strip())
    kept: list[str] = []
    for block in blocks:
        lines = block.split("\n")
        timing = next((i for i, line in enumerate(lines) if _TIMING.match(line)), None)
        if timing is None:
            if not kept and block.lstrip().startswith("WEBVTT"):
                kept.append(block)  # the header
            continue
        match = _TIMING.match(lines[timing])
        assert match is not None
        start, end = _seconds(match.group(1)), _seconds(match.group(2))
        inside = sum(max(0.0, min(end, b) - max(start, a)) for a, b in spans)
        if inside < (end - start) * 0.999:
            continue  # some of it was said in a cut passage: the cue goes with it
        srt = "," in match.group(1)
        lines[timing] = (
            f"{_stamp(on_new_timeline(start, spans), srt)} --> "
            f"{_stamp(on_new_timeline(end, spans), srt)}{match.group(3)}"
        )
        kept.append("\n".join(lines))
    cues = [b for b in kept if not b.lstrip().startswith("WEBVTT")]
    return "\n\n".join(kept) + "\n" if cues else None


def _republish(episode: Episode, pupils: list[Pupil], actor: publication.Actor) -> Outcome:
    """Publish again through the same approval as a first publication when it had been
    published; otherwise leave it ready."""
    was_published = episode.published_at is not None and episode.state in {
        EpisodeState.PUBLISHED,
        EpisodeState.WITHDRAWN,
    }
    episode.state = EpisodeState.READY
    db.session.commit()
    texts = clearance.typed_texts(episode)
    still_named = [p.first_name for p in pupils if names.find(texts, names.known_by([p]))]
    if still_named:
        return Outcome(
            N_("Passages coupés. Le texte cite encore %(names)s : corrigez-le avant de publier."),
            {"names": ", ".join(still_named)},
        )
    if not was_published:
        return Outcome(N_("Passages coupés ; l'épisode est prêt à publier."), {})
    try:
        cleared = publication.publish_as(episode, actor)
    except ConsentRefused:
        return Outcome(N_("Passages coupés, mais l'épisode n'est autorisé pour aucun public."), {})
    if cleared is None:
        return Outcome(N_("Passages coupés ; la direction doit valider la nouvelle diffusion."), {})
    return Outcome(
        N_("Passages coupés ; épisode republié pour : %(audiences)s."),
        {"audiences": ", ".join(cleared.audiences)},
    )
