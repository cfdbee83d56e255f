"""No verb holds a write transaction while ffmpeg runs: a render, a re-edit or an erasure of
minutes never keeps the database locked for every other request (SQLite has one writer)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from webradio import authorisations, pupils, reedit
from webradio.extensions import db
from webradio.models import Pupil
from webradio.publication import Actor

from .conftest import World, make_episode

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@contextmanager
def watched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The programs started while a connection held uncommitted writes."""
    writing: set[int] = set()
    held: list[str] = []

    def before(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(WRITES):
            writing.add(id(conn.connection.dbapi_connection))

    def ended(conn: Any) -> None:
        writing.discard(id(conn.connection.dbapi_connection))

    real = subprocess.Popen

    class Watched(real):  # type: ignore[misc, valid-type]
        def __init__(self, args: Any, *rest: Any, **options: Any) -> None:
            if writing:
                held.append(Path(str(args[0] if isinstance(args, list) else args)).name)
            super().__init__(args, *rest, **options)

    engine = db.engine
    hooks = [("before_cursor_execute", before), ("commit", ended), ("rollback", ended)]
    for name, hook in hooks:
        db.event.listen(engine, name, hook)
    monkeypatch.setattr(subprocess, "Popen", Watched)
    try:
        yield held
    finally:
        for name, hook in hooks:
            db.event.remove(engine, name, hook)


def test_render_reedit_and_erasure_run_ffmpeg_outside_any_write(
    monkeypatch: pytest.MonkeyPatch, world: World, take_wav: Path
) -> None:
    with watched(monkeypatch) as held:
        db.session.execute(db.update(Pupil).values(first_name="Léa"))  # the watch sees a write
        subprocess.run(["true"], check=True)
        db.session.rollback()
        assert held == ["true"]
        held.clear()
        second = make_episode(world.school, take_wav, [world.lea, world.ines])  # renders
        authorisations.withdraw(world.ines, None)
        reedit.reedit(second, [world.ines], Actor("cli"))  # cuts by chapter bounds
        pupils.erase(world.lea)  # cuts world.episode, deletes the second
    assert held == [], "ffmpeg ran while the database was locked for writing"
