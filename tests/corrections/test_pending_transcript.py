"""A pending transcript beside the words: read back, extended, redacted (plain values)."""

from __future__ import annotations

import json

from webradio import publication
from webradio.clock import now_utc
from webradio.models import Episode


def test_a_request_made_before_transcripts_were_queued_leaves_the_transcript_alone() -> None:
    stored = {"title": "T", "description": "", "chapter_titles": {}}
    episode = Episode(pending_edit_at=now_utc(), pending_edit_json=json.dumps(stored))
    words = publication.pending_words(episode)
    assert words is not None and words.transcript is None


def test_an_erased_name_leaves_the_transcript_waiting_for_the_head() -> None:
    stored = {"title": "T", "description": "", "chapter_titles": {}, "transcript": "NOÉ lit."}
    episode = Episode(pending_edit_at=now_utc(), pending_edit_json=json.dumps(stored))
    publication.redact_pending_words(episode, ["Noé"])
    words = publication.pending_words(episode)
    assert words is not None and words.transcript == "— lit."
