"""The pending correction on an episode's staff page, as values: before and after, side by
side for the words and line by line for the transcript."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from webradio import accounts, clearance, names, publication
from webradio.errors import N_
from webradio.models import Episode
from webradio.web import actor, translate

CONTEXT_LINES = 1  # unchanged lines shown around a change; the rest is one "…" line


@dataclass(frozen=True)
class Line:
    """One line of the transcript's comparison: kept, removed, added, or skipped (`gap`)."""

    kind: str  # "same", "del", "ins", "gap"
    text: str


def view(found: Episode, known: dict[str, str]) -> dict[str, object]:
    """Whether this person's correction is a request for the head, and the pending one before
    and after, with the first names of pupils its words would name (the gate decides on
    approval; staff eyes only)."""
    proposed = publication.pending_words(found)
    rows: list[tuple[str, str, str]] = []
    lines: list[Line] = []
    named: list[str] = []
    if proposed is not None:
        rows = _word_rows(found, proposed)
        if all(before == after for _, before, after in rows):
            rows = []  # the transcript alone changes
        if proposed.transcript is not None:
            lines = transcript_lines(found.transcript or "", proposed.transcript)
        texts = {
            "title": proposed.title,
            "description": proposed.description,
            "chapters": "\n".join(proposed.chapter_titles.values()),
            "transcript": proposed.transcript or "",
        }
        mentions = names.find(texts, clearance.names_in_school(found.school_id))
        named = sorted(known[m.pupil_id] for m in mentions)
    proposes = publication.needs_head(found, actor())
    return {
        "proposes": proposes,
        # a teacher's form starts from the pending correction, which a new one replaces
        "form": proposed if proposes and proposed else publication.words_of(found),
        "transcript": _form_transcript(found, proposed if proposes else None),
        "rows": rows,
        "lines": lines,
        "pending": proposed is not None,
        "named": named,
        "by": accounts.address_of(found.pending_edit_by)[:1],
    }


def _word_rows(found: Episode, proposed: publication.Words) -> list[tuple[str, str, str]]:
    """Title, description and each chapter title: label, before, after."""
    rows = [
        (translate(N_("Titre")), found.title, proposed.title),
        (translate(N_("Description")), found.description, proposed.description),
    ]
    for number, part in enumerate(found.parts, start=1):
        label = translate(N_("Chapitre %(n)d"), n=number)
        default = translate(N_("Partie %(n)d"), n=number)
        after = proposed.chapter_titles.get(part.id, part.title)
        rows.append((label, part.title or default, after or default))
    return rows


def _form_transcript(found: Episode, proposed: publication.Words | None) -> str:
    """The transcript a form starts from: the teacher's pending one, else the episode's."""
    if proposed is not None and proposed.transcript is not None:
        return proposed.transcript
    return found.transcript or ""


def transcript_lines(before: str, after: str) -> list[Line]:
    """The lines that change from `before` to `after`, with a line of context around each
    change; each run of unchanged lines further away is one `gap`."""
    old, new = before.splitlines(), after.splitlines()
    shown: list[Line] = []
    end = 0
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        if group[0][1] > end:
            shown.append(Line("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                shown += [Line("same", text) for text in old[i1:i2]]
            else:
                shown += [Line("del", text) for text in old[i1:i2]]
                shown += [Line("ins", text) for text in new[j1:j2]]
        end = group[-1][2]
    if shown and end < len(old):
        shown.append(Line("gap", "…"))
    return shown
