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


class Base(DeclarativeBase):
    """Declarative base of every webradio table."""


TOUCHED = "webradio.touched_schools"
REWRITTEN = "webradio.rewritten_slugs"


class WebradioSession(Session):
    """The app's session: after each commit, the public outputs of the schools the unit of
    work touched are rewritten, once, before the verb returns (webradio.outputs)."""

    def commit(self) -> None:
        """Commit, then rewrite the outputs of every school the unit of work touched."""
        super().commit()
        touched = self.info.pop(TOUCHED, None)
        if touched:
            from webradio.outputs import rewrite

            self.info[REWRITTEN] = rewrite(self, touched)
            super().commit()  # ends the read transaction the rewrite opened


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
