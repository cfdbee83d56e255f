"""Flask extensions, created unbound; only `create_app` binds them (one wiring point)."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from webradio import shared_limits  # noqa: F401  (registers webradio-sqlite:// for Flask-Limiter)


class Base(DeclarativeBase):
    """Declarative base of every webradio table."""


TOUCHED = "webradio.touched_schools"
REWRITTEN = "webradio.rewritten_slugs"


class WebradioSession(Session):
    """The app's session: after each commit, the public outputs of the schools the unit of
    work touched are rewritten, once, before the verb returns (webradio.outputs).

    The schools are marked due in the same transaction as the change, and the mark goes only
    once their files have landed: a rewrite that fails (a full disk) or never runs (a crash)
    is retried by the worker until it lands."""

    def commit(self) -> None:
        """Commit, then rewrite the outputs of every school the unit of work touched."""
        from webradio import outputs

        if self.info.get(TOUCHED) or self.new or self.dirty or self.deleted:
            self.flush()  # notes the schools the changes reach
        touched = self.info.get(TOUCHED)
        if touched:
            outputs.mark_due(self, touched)
        super().commit()
        touched = self.info.pop(TOUCHED, None)
        if touched:
            self.info[REWRITTEN] = outputs.rewrite_after_commit(self, touched)


db = SQLAlchemy(model_class=Base, session_options={"class_": WebradioSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Sign-in and studio codes are guessable by brute force: limit tries per address (the client's
# own behind a trusted proxy: serve.waitress_options, ProxyFix in the factory), and also by
# what identifies the attacker (the account tried, the studio code) where an address is shared.
remote_address = get_remote_address
limiter = Limiter(remote_address)
