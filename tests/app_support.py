"""The test app's settings and test client, shared by conftest.py and the tests that build an
app of their own (import from here, never from `conftest`: several folders have one)."""

from __future__ import annotations

import contextvars
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def app_settings(root: Path, database: Path) -> dict[str, object]:
    """Test settings: everything under `root`, jobs run immediately."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(root / "instance"),
        "DATABASE_URL": f"sqlite:///{database}",
        "MEDIA_ROOT": str(root / "media"),
        "FEEDS_ROOT": str(root / "feeds"),
        "QUEUE_URL": "immediate",
        "SECRET_KEY": "test-secret",
        "BASE_URL": "http://radio.test",
        "WTF_CSRF_ENABLED": False,
    }


class IsolatedClient(FlaskClient):
    """A test client whose requests run outside the test's app context, as in production.

    Otherwise every request would reuse the test's `g` (Flask-Babel's locale, Flask-Login's
    user) and database session.
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        """Send the request from an empty context, so it pushes its own app context."""
        return contextvars.Context().run(super().open, *args, **kwargs)
