"""`webradio doctor`: what it reports, and public files a rewrite left behind (a full disk)."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskCliRunner

from webradio.cli import main
from webradio.clock import PARIS, aware, now_utc
from webradio.extensions import db
from webradio.models import OutputsDue, School

WAITING = "Fichiers publics en attente de réécriture"


def test_doctor_says_which_schools_wait_for_their_files_and_fails(runner: FlaskCliRunner) -> None:
    runner.invoke(main, ["school", "create", "jules-ferry", "--name", "École Jules-Ferry"])
    runner.invoke(main, ["school", "create", "ecole-b", "--name", "École B"])
    healthy = runner.invoke(main, ["doctor"])
    assert healthy.exit_code == 0, healthy.output
    assert "ffmpeg" in healthy.stdout and WAITING not in healthy.stderr

    school = db.session.scalars(db.select(School).filter_by(slug="jules-ferry")).one()
    since = now_utc() - timedelta(minutes=5)
    db.session.add(OutputsDue(school_id=school.id, since=since))
    db.session.commit()
    late = runner.invoke(main, ["doctor"])
    assert late.exit_code == 1
    shown = aware(since).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
    assert f"{WAITING} depuis le {shown} : École Jules-Ferry (disque plein ?" in late.stderr
    assert "le worker les réécrit dans la minute" in late.stderr
    assert "École B" not in late.stderr and "Traceback" not in late.stderr
    assert "ffmpeg" in late.stdout  # the other checks are still printed

    db.session.add(OutputsDue(school_id="*", since=since - timedelta(minutes=1)))
    db.session.commit()
    everyone = runner.invoke(main, ["doctor"])
    assert everyone.exit_code == 1 and "École B, École Jules-Ferry (disque" in everyone.stderr
