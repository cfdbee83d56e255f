"""Re-editing after a withdrawal: cut a pupil's parts out of the master by chapter bounds.

Each part of an episode is one chapter of its master, so no raw take is needed: the master is
trimmed with ffmpeg (`atrim`, short fades, `concat`), re-tagged, stored under a new
content-hashed name (a new media URL, the same GUID), and republished through the gate.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from webradio import audit, consent, publication, runtime
from webradio.audio.ffmpeg import run_ffmpeg
from webradio.audio.presets import get_preset
from webradio.audio.tags import Chapter, read_tags, write_tags
from webradio.clock import today_paris
from webradio.errors import N_, ConsentRefused, WebradioError
from webradio.extensions import db
from webradio.models import Episode, EpisodePart, Pupil
from webradio.storage import sha256_of

FADE_S = 0.05


@dataclass(frozen=True)
class Segment:
    """One chapter of the master, the part it plays, and whether it is cut."""

    title: str
    start_s: float
    end_s: float
    part: EpisodePart | None
    cut: bool


@dataclass(frozen=True)
class Outcome:
    """What the re-edit did, as a French message with its fields."""

    message: str
    params: dict[str, object]


def blocking_pupils(episode: Episode) -> list[Pupil]:
    """The speakers who keep the episode from an audience it was published (or asked) for."""
    day = today_paris()
    published = set(filter(None, episode.published_audiences.split(",")))
    wanted = published or set(consent.tiers_up_to(episode.requested_audience))
    found = []
    for pupil in publication.speakers(episode):
        grant = publication.current_grant(pupil, day)
        ok = (
            pupil.erased_at is None
            and publication.has_valid_grant(pupil, day)
            and grant is not None
            and wanted <= grant.audience_set
        )
        if not ok:
            found.append(pupil)
    return found


def chapters(episode: Episode) -> list[dict[str, object]]:
    """The master's chapters as stored (title, start_s, end_s, maybe part_id)."""
    if not episode.chapters_json:
        return []
    loaded = json.loads(episode.chapters_json)
    return [c for c in loaded if isinstance(c, dict)]


def plan(episode: Episode, pupils: list[Pupil]) -> list[Segment]:
    """Match chapters to parts (by part_id, else by order) and mark those the pupils speak in."""
    stored = chapters(episode)
    parts = sorted(episode.parts, key=lambda p: p.position)
    by_id = {p.id: p for p in parts}
    if not all("part_id" in c for c in stored) and len(stored) != len(parts):
        raise WebradioError(
            N_("Les chapitres du son ne correspondent pas aux parties ; refaites le rendu.")
        )
    ids = {p.id for p in pupils}
    segments = []
    for index, chapter in enumerate(stored):
        part_id = chapter.get("part_id")
        part = by_id.get(str(part_id)) if part_id else parts[index]
        cut = part is not None and any(s.id in ids for s in part.take.speakers)
        segments.append(
            Segment(
                str(chapter.get("title", "")),
                float(str(chapter["start_s"])),
                float(str(chapter["end_s"])),
                part,
                cut,
            )
        )
    return segments


def reedit(episode: Episode, pupils: list[Pupil], actor_id: str | None) -> Outcome:
    """Cut the pupils' parts, store the new master, drop them as participants, republish."""
    segments = _checked_plan(episode, pupils)
    old_key = episode.media_key
    assert old_key is not None
    store = runtime.storage()
    scratch = store.scratch_dir() / f"{episode.id}-reedit.mp3"
    try:
        kept = cut_master(store.local_path(old_key), segments, scratch, episode)
        tags = read_tags(store.local_path(old_key))
        write_tags(scratch, dataclasses.replace(tags, chapters=tuple(c for c, _ in kept)))
        digest = sha256_of(scratch)[:12]
        stored = store.put_file(f"masters/{episode.id}/{digest}.mp3", scratch)
    finally:
        scratch.unlink(missing_ok=True)
    _apply(episode, segments, kept, pupils, stored.key, stored.size_bytes)
    if stored.key != old_key:
        store.delete(old_key)  # it holds the voice that was withdrawn
    audit.record(
        "episode.reedited",
        "episode",
        episode.id,
        episode.school_id,
        actor_id,
        parts_cut=sum(s.cut for s in segments),
    )
    db.session.commit()
    return _republish(episode, pupils)


def _checked_plan(episode: Episode, pupils: list[Pupil]) -> list[Segment]:
    """The plan, refused when it cuts nothing, everything, or misses a pupil's parts."""
    if not episode.media_key or episode.state not in {"ready", "published", "withdrawn"}:
        raise WebradioError(N_("Le son de cet épisode n'est pas prêt ; rien à remonter."))
    if not pupils:
        raise WebradioError(N_("Choisissez au moins un élève dont retirer les passages."))
    segments = plan(episode, pupils)
    for pupil in pupils:
        if not any(s.cut and pupil in s.part.take.speakers for s in segments if s.part):
            raise WebradioError(
                N_("Indiquez d'abord dans quelles parties parle %(name)s."), name=pupil.first_name
            )
    if all(s.cut for s in segments):
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


def build_cut_command(
    ffmpeg: str,
    master: Path,
    spans: list[tuple[float, float]],
    out: Path,
    bitrate_kbps: int,
    channels: int,
) -> list[str]:
    """ffmpeg argv: keep `spans` of the master, each with short fades, joined end to end."""
    chains = []
    for index, (start, end) in enumerate(spans):
        fade = min(FADE_S, (end - start) / 4)
        chains.append(
            f"[0:a]atrim=start={start:.3f}:end={end:.3f},asetpts=PTS-STARTPTS,"
            f"afade=t=in:st=0:d={fade:.3f},afade=t=out:st={end - start - fade:.3f}:d={fade:.3f}"
            f"[s{index}]"
        )
    inputs = "".join(f"[s{i}]" for i in range(len(spans)))
    graph = ";".join(chains) + f";{inputs}concat=n={len(spans)}:v=0:a=1[out]"
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-y", "-i", str(master),
        "-filter_complex", graph, "-map", "[out]", "-map_metadata", "-1",
        "-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k", "-ar", "44100",
        "-ac", str(channels), "-f", "mp3", str(out),
    ]  # fmt: skip


def on_new_timeline(moment: float, spans: list[tuple[float, float]]) -> float:
    """Where a moment of the old master falls once only `spans` are kept, end to end."""
    return sum(max(0.0, min(moment, end) - start) for start, end in spans)


def cut_master(
    master: Path, segments: list[Segment], out: Path, episode: Episode
) -> list[tuple[Chapter, EpisodePart | None]]:
    """Write the cut master to `out`; the kept chapters in the new timeline, with their parts."""
    total = max([episode.duration_s or 0.0, *(s.end_s for s in segments)])
    spans = kept_spans(segments, total)
    preset = get_preset(episode.school.preset)
    argv = build_cut_command(
        runtime.ffmpeg().path, master, spans, out, preset.bitrate_kbps, preset.channels
    )
    run_ffmpeg(argv, timeout=600)
    kept = []
    for segment in segments:
        if not segment.cut:
            begin, finish = (
                on_new_timeline(segment.start_s, spans),
                on_new_timeline(segment.end_s, spans),
            )
            kept.append((Chapter(segment.title, round(begin, 3), round(finish, 3)), segment.part))
    return kept


def _apply(
    episode: Episode,
    segments: list[Segment],
    kept: list[tuple[Chapter, EpisodePart | None]],
    pupils: list[Pupil],
    key: str,
    size: int,
) -> None:
    """Record the new master, its chapters, the remaining parts and participants."""
    cut_parts = {s.part.id for s in segments if s.cut and s.part is not None}
    episode.parts = [p for p in episode.parts if p.id not in cut_parts]
    for position, part in enumerate(sorted(episode.parts, key=lambda p: p.position)):
        part.position = position
    ids = {p.id for p in pupils}
    episode.participants = [p for p in episode.participants if p.id not in ids]
    episode.media_key, episode.media_size = key, size
    episode.duration_s = kept[-1][0].end_s if kept else 0.0
    episode.chapters_json = json.dumps(
        [
            {"title": c.title, "start_s": c.start_s, "end_s": c.end_s}
            | ({"part_id": part.id} if part is not None else {})
            for c, part in kept
        ]
    )
    episode.transcript = None  # its cues no longer match; the teacher adds a new one


def _republish(episode: Episode, pupils: list[Pupil]) -> Outcome:
    """Publish again through the gate when it had been approved; otherwise leave it ready."""
    was_published = episode.published_at is not None and episode.state in {"published", "withdrawn"}
    episode.state = "ready"
    db.session.commit()
    texts = publication.typed_texts(episode).values()
    still_named = [
        p.first_name for p in pupils if any(publication.names(t, p.first_name) for t in texts)
    ]
    if still_named:
        return Outcome(
            N_("Passages coupés. Le texte cite encore %(names)s : corrigez-le avant de publier."),
            {"names": ", ".join(still_named)},
        )
    if not was_published:
        return Outcome(N_("Passages coupés ; l'épisode est prêt à publier."), {})
    try:
        cleared = publication.publish(episode, approved_by=episode.approved_by)
    except ConsentRefused:
        return Outcome(N_("Passages coupés, mais l'épisode n'est autorisé pour aucun public."), {})
    return Outcome(
        N_("Passages coupés ; épisode republié pour : %(audiences)s."),
        {"audiences": ", ".join(cleared.audiences)},
    )
