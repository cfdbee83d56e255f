"""`webradio school set`: a school's settings from the command line (CONTRACT 1 exit codes)."""

from __future__ import annotations

import json

from flask.testing import FlaskCliRunner

from webradio.cli import main
from webradio.extensions import db
from webradio.models import School


def noise_reduction(slug: str) -> bool:
    """The school's saved setting, read from the database afresh."""
    db.session.expire_all()
    found = db.session.scalars(db.select(School).filter_by(slug=slug)).one()
    return bool(found.noise_reduction)


def test_noise_reduction_is_switched_per_school(runner: FlaskCliRunner) -> None:
    runner.invoke(main, ["school", "create", "ecole-a", "--name", "École A"])
    runner.invoke(main, ["school", "create", "ecole-b", "--name", "École B"])
    on = runner.invoke(main, ["school", "set", "ecole-a", "--noise-reduction", "on"])
    assert on.exit_code == 0, on.output
    assert on.stdout.strip().splitlines()[-1] == "ecole-a"
    assert "Réduction du bruit de fond activée" in on.stderr and "École A" in on.stderr
    assert noise_reduction("ecole-a") and not noise_reduction("ecole-b")
    shown = runner.invoke(main, ["school", "show", "ecole-a", "--json"])
    assert json.loads(shown.stdout)["noise_reduction"] is True
    off = runner.invoke(main, ["school", "set", "ecole-a", "--noise-reduction", "off", "--json"])
    assert off.exit_code == 0
    assert json.loads(off.stdout) == {"slug": "ecole-a", "noise_reduction": False}
    assert not noise_reduction("ecole-a")


def test_school_set_refuses_bad_input_with_the_contract_codes(runner: FlaskCliRunner) -> None:
    runner.invoke(main, ["school", "create", "ecole-a", "--name", "École A"])
    unknown = runner.invoke(main, ["school", "set", "nulle-part", "--noise-reduction", "on"])
    assert unknown.exit_code == 1 and "nulle-part" in unknown.stderr
    assert "Traceback" not in unknown.output
    for wrong in (["--noise-reduction", "peut-etre"], [], ["--noise-reduction"]):
        usage = runner.invoke(main, ["school", "set", "ecole-a", *wrong])
        assert usage.exit_code == 2, (wrong, usage.output)
    assert not noise_reduction("ecole-a")
