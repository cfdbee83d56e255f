"""A pending correction's words, read back and redacted (no database: plain values)."""

from __future__ import annotations

import json

from webradio import publication
from webradio.clock import now_utc
from webradio.models import Episode


def test_an_erased_name_leaves_the_words_waiting_for_the_head() -> None:
    episode = Episode(
        pending_edit_at=now_utc(),
        pending_edit_json=json.dumps(
            {
                "title": "Le journal de NOE",
                "description": "Avec Noé et Léa",
                "chapter_titles": {"p1": "noé chante", "p2": "Léa lit"},
            }
        ),
    )
    publication.redact_pending_words(episode, ["Noé"])
    words = publication.pending_words(episode)
    assert words is not None
    assert (words.title, words.description) == ("Le journal de —", "Avec — et Léa")
    assert words.chapter_titles == {"p1": "— chante", "p2": "Léa lit"}
