"""A school with a head and a teacher, another school, the city admin, and a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from browser_support import CHROMIUM_ARGS, chromium_path, free_port
from flask import Flask
from flask.testing import FlaskClient
from web_support import PASSWORD

from webradio import schools
from webradio.models import School

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

LINK = re.compile(r"http://radio\.test(/compte/mot-de-passe/[A-Za-z0-9_\-]+)")


@dataclass
class Team:
    """The accounts a test starts from."""

    school: School
    other: School


@pytest.fixture
def team(app: Flask) -> Team:
    """École de l'Équipe: head@equipe.fr, prof@equipe.fr; Autre École: head@autre.fr; the city."""
    school = schools.create_school("ecole-equipe", "École de l'Équipe")
    schools.create_user("head@equipe.fr", "head", PASSWORD, school)
    schools.create_user("prof@equipe.fr", "teacher", PASSWORD, school)
    other = schools.create_school("autre-ecole", "Autre École")
    schools.create_user("head@autre.fr", "head", PASSWORD, other)
    schools.create_user("dsi@ville.fr", "city-admin", PASSWORD, None)
    return Team(school, other)


@dataclass
class Inbox:
    """What the local SMTP server received (a real server: aiosmtpd on a free port)."""

    port: int
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep each message with its envelope recipients."""
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted"

    def wait_for(self, recipient: str, timeout_s: float = 10.0) -> EmailMessage:
        """The first message to `recipient`, waiting for it a little."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                for recipients, message in self.messages:
                    if recipient in recipients:
                        return message
            time.sleep(0.05)
        raise AssertionError(f"no e-mail to {recipient}; received: {self.messages}")

    def to(self, recipient: str) -> list[EmailMessage]:
        """Every message received for `recipient` so far."""
        with self.lock:
            return [m for r, m in self.messages if recipient in r]

    def clear(self) -> None:
        """Forget what was received."""
        with self.lock:
            self.messages.clear()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Inbox]:
    """One real SMTP server for the session (tests clear its inbox)."""
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def inbox(app: Flask, smtp_server: Inbox) -> Inbox:
    """The app sends its e-mail to the local SMTP server; an empty inbox."""
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp_server.port,
        SMTP_STARTTLS=False,
        MAIL_FROM="radio@ville.test",
    )
    smtp_server.clear()
    return smtp_server


def body_of(message: EmailMessage) -> str:
    """The plain-text body of a message."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


@pytest.fixture
def phone(client: FlaskClient) -> Iterator[Page]:
    """A 360 px chromium page whose every request the test client answers (same cookies)."""
    binary = chromium_path()
    if binary is None:
        pytest.skip("no chromium")
    sync_api = pytest.importorskip("playwright.sync_api")

    def answer(route: Route) -> None:
        request = route.request
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = client.open(
            path,
            method=request.method,
            data=request.post_data_buffer,
            headers={"Content-Type": request.headers.get("content-type", "")},
        )
        route.fulfill(
            status=response.status_code, headers=dict(response.headers), body=response.get_data()
        )
        response.close()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=binary, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 800})
        context.grant_permissions(
            ["clipboard-read", "clipboard-write"], origin="https://radio.test"
        )
        page = context.new_page()
        page.route("https://radio.test/**", answer)
        yield page
        browser.close()
