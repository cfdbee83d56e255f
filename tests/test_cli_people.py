"""`pupil list`, `class list`, `user list`, `user reset-password`: CONTRACT.md section 1."""

from __future__ import annotations

import json

from click.testing import Result
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.security import check_password_hash

from webradio.cli import main
from webradio.clock import now_utc
from webradio.extensions import db
from webradio.models import Pupil, User


def cli(runner: FlaskCliRunner, *args: str, input: str | None = None) -> Result:
    """Run `webradio ARGS` against the test app."""
    return runner.invoke(main, list(args), input=input)


def ok(result: Result) -> str:
    """The stdout of a command that must succeed."""
    assert result.exit_code == 0, result.output
    return result.stdout


def last_line(result: Result) -> str:
    """The id a command prints alone on its last stdout line."""
    return ok(result).strip().splitlines()[-1]


def two_schools(runner: FlaskCliRunner) -> dict[str, str]:
    """School A: CM2 (Léa, Inès, Zoé), CE1 (Noé); school B: CM2 (Hugo). Ids by first name."""
    ids = {}
    for slug in ("ecole-a", "ecole-b"):
        ok(cli(runner, "school", "create", slug, "--name", slug))
    for slug, klass, name in (
        ("ecole-a", "CM2", "Léa"),
        ("ecole-a", "CM2", "Inès"),
        ("ecole-a", "CM2", "Zoé"),
        ("ecole-a", "CE1", "Noé"),
        ("ecole-b", "CM2", "Hugo"),
    ):
        add = ["pupil", "add", "--school", slug, "--class", klass, "--first-name", name]
        ids[name] = last_line(cli(runner, *add))
    return ids


def erase_by_hand(pupil_id: str) -> None:
    """What erasure leaves of a pupil: the row, its id, "—" for a name and `erased_at`."""
    pupil = db.session.get(Pupil, pupil_id)
    assert pupil is not None
    pupil.first_name = "—"
    pupil.erased_at = now_utc()
    db.session.commit()


def test_pupil_list_is_scoped_to_the_school_and_class_and_skips_erased_pupils(
    runner: FlaskCliRunner,
) -> None:
    ids = two_schools(runner)
    erase_by_hand(ids["Zoé"])

    listed = json.loads(ok(cli(runner, "pupil", "list", "--school", "ecole-a", "--json")))
    assert [(p["first_name"], p["class_label"]) for p in listed["pupils"]] == [
        ("Noé", "CE1"),
        ("Inès", "CM2"),
        ("Léa", "CM2"),
    ]
    assert {p["id"] for p in listed["pupils"]} == {ids["Noé"], ids["Inès"], ids["Léa"]}

    lines = ok(cli(runner, "pupil", "list", "--school", "ecole-a", "--class", "CM2")).splitlines()
    assert [line.split("\t")[0] for line in lines] == [ids["Inès"], ids["Léa"]]
    assert lines[0].split("\t")[1] == "Inès"
    assert "—" not in "".join(lines) and ids["Zoé"] not in "".join(lines)

    missing = cli(runner, "pupil", "list", "--school", "ecole-a", "--class", "CM1")
    assert missing.exit_code == 1 and missing.stdout == ""
    assert "CM1" in missing.stderr
    assert cli(runner, "pupil", "list", "--school", "nulle-part").exit_code == 1
    assert cli(runner, "pupil", "list").exit_code == 2


def test_class_list_counts_pupils_on_record(runner: FlaskCliRunner) -> None:
    ids = two_schools(runner)
    erase_by_hand(ids["Léa"])
    listed = json.loads(ok(cli(runner, "class", "list", "--school", "ecole-a", "--json")))
    assert [(c["label"], c["pupils"]) for c in listed["classes"]] == [("CE1", 1), ("CM2", 2)]
    text = ok(cli(runner, "class", "list", "--school", "ecole-b"))
    (line,) = text.splitlines()
    assert line.split("\t")[1:] == ["CM2", "1"]


def test_user_list_and_reset_password(runner: FlaskCliRunner, client: FlaskClient) -> None:
    ok(cli(runner, "school", "create", "ecole-a", "--name", "École A"))
    ok(cli(runner, "school", "create", "ecole-b", "--name", "École B"))
    created = {}
    for email, role, slug in (
        ("dir@a.fr", "head", "ecole-a"),
        ("prof@a.fr", "teacher", "ecole-a"),
        ("prof@b.fr", "teacher", "ecole-b"),
    ):
        args = ["user", "create", email, "--role", role, "--school", slug, "--password-stdin"]
        created[email] = last_line(cli(runner, *args, input="ancien-secret\n"))
    city = ["user", "create", "dsi@ville.fr", "--role", "city-admin", "--password-stdin"]
    created["dsi@ville.fr"] = last_line(cli(runner, *city, input="ancien-secret\n"))

    only_a = json.loads(ok(cli(runner, "user", "list", "--school", "ecole-a", "--json")))
    assert only_a == {
        "users": [
            {"id": created["dir@a.fr"], "email": "dir@a.fr", "role": "head", "school": "ecole-a"},
            {
                "id": created["prof@a.fr"],
                "email": "prof@a.fr",
                "role": "teacher",
                "school": "ecole-a",
            },
        ]
    }
    everyone = ok(cli(runner, "user", "list")).splitlines()
    assert [line.split("\t")[1] for line in everyone] == [
        "dir@a.fr",
        "dsi@ville.fr",
        "prof@a.fr",
        "prof@b.fr",
    ]
    assert everyone[1].split("\t")[2:] == ["city-admin", ""]

    reset = cli(
        runner, "user", "reset-password", "Prof@A.fr", "--password-stdin", input="nouveau-secret\n"
    )
    assert last_line(reset) == created["prof@a.fr"]
    assert "nouveau-secret" not in reset.stdout and "nouveau-secret" not in reset.stderr
    assert "prof@a.fr" in reset.stderr
    user = db.session.get(User, created["prof@a.fr"])
    assert user is not None
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, "nouveau-secret")
    old = client.post("/connexion", data={"email": "prof@a.fr", "password": "ancien-secret"})
    assert old.status_code != 302
    new = client.post("/connexion", data={"email": "prof@a.fr", "password": "nouveau-secret"})
    assert new.status_code == 302

    as_json = cli(
        runner,
        "user",
        "reset-password",
        "dsi@ville.fr",
        "--json",
        "--password-stdin",
        input="encore-un-autre\n",
    )
    assert json.loads(ok(as_json)) == {"id": created["dsi@ville.fr"], "email": "dsi@ville.fr"}

    short = cli(runner, "user", "reset-password", "prof@b.fr", "--password-stdin", input="court\n")
    assert short.exit_code == 1 and short.stdout == "" and "8" in short.stderr
    nobody = cli(
        runner, "user", "reset-password", "x@y.fr", "--password-stdin", input="assez-long\n"
    )
    assert nobody.exit_code == 1 and nobody.stdout == ""
    # A mistyped address is said before the password is asked twice for nothing.
    typo = cli(runner, "user", "reset-password", "x@y.fr", input="assez-long\nassez-long\n")
    assert typo.exit_code == 1 and "Aucun compte pour x@y.fr" in typo.stderr
    assert "Nouveau mot de passe" not in typo.stderr
    # Typed twice at the terminal: two different entries are said in French and asked again;
    # a stop at the prompt says nothing changed (never Click's English « Aborted! »).
    typed = "un-secret-1\nun-secret-2\nun-secret-3\nun-secret-3\n"
    twice = cli(runner, "user", "reset-password", "prof@b.fr", input=typed)
    assert twice.exit_code == 0 and "Les deux saisies diffèrent" in twice.stderr
    signed = client.post("/connexion", data={"email": "prof@b.fr", "password": "un-secret-3"})
    assert signed.status_code == 302
    stopped = cli(runner, "user", "reset-password", "prof@b.fr", input="")
    assert stopped.exit_code == 1 and "Interrompu : rien n’a changé." in stopped.stderr
    assert "Aborted" not in stopped.output
