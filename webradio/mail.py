"""E-mail, when the city gives an SMTP relay: plain-text French messages with an English line.

Off while `SMTP_HOST` is empty. A message is sent after the action's commit, with the standard
library's smtplib; a relay that refuses or does not answer is logged and reported as
`Delivery.FAILED`, never raised: the action is done either way, and its page says the e-mail
could not be sent. Only this module talks to smtplib.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

log = logging.getLogger(__name__)
TIMEOUT_S = 10.0
SIGNATURE = "— La webradio de l'école"


class Delivery(StrEnum):
    """What became of a message: sent to the relay, failed (logged), or e-mail is off."""

    SENT = "sent"
    FAILED = "failed"
    OFF = "off"


@dataclass(frozen=True)
class Message:
    """One plain-text message to one or more addresses."""

    to: tuple[str, ...]
    subject: str
    body: str


def configured() -> bool:
    """True when an SMTP relay is configured (SMTP_HOST set)."""
    return bool(str(current_app.config.get("SMTP_HOST") or "").strip())


def sender() -> str:
    """The From address: MAIL_FROM, else webradio@ the host of the public address."""
    chosen = str(current_app.config.get("MAIL_FROM") or "").strip()
    if chosen:
        return chosen
    host = urlsplit(str(current_app.config["BASE_URL"])).hostname or "localhost"
    return f"webradio@{host}"


def _settings(config: Any) -> dict[str, Any]:
    """The relay settings, read while the app is at hand (a background send has none)."""
    return {
        "host": str(config.get("SMTP_HOST") or "").strip(),
        "port": int(config.get("SMTP_PORT") or 25),
        "user": str(config.get("SMTP_USER") or ""),
        "password": str(config.get("SMTP_PASSWORD") or ""),
        "starttls": bool(config.get("SMTP_STARTTLS")),
    }


def send(message: Message) -> Delivery:
    """Send now; OFF without a relay, FAILED (logged) when the relay cannot take it."""
    if not configured() or not message.to:
        return Delivery.OFF
    return _deliver(_settings(current_app.config), _envelope(message))


def _envelope(message: Message) -> EmailMessage:
    """The message as RFC 5322 text (UTF-8, quoted-printable where needed)."""
    built = EmailMessage()
    built["From"] = sender()
    built["To"] = ", ".join(message.to)
    built["Subject"] = " ".join(message.subject.split())  # typed titles: one line, always
    built["Date"] = formatdate(localtime=True)
    built["Message-ID"] = make_msgid(domain=sender().rsplit("@", 1)[-1])
    built["Auto-Submitted"] = "auto-generated"
    built.set_content(message.body)
    return built


def _deliver(settings: dict[str, Any], envelope: EmailMessage) -> Delivery:
    """Hand the message to the relay; a refusal or a dead relay is logged, never raised."""
    try:
        with smtplib.SMTP(settings["host"], settings["port"], timeout=TIMEOUT_S) as smtp:
            if settings["starttls"]:
                smtp.starttls()
            if settings["user"]:
                smtp.login(settings["user"], settings["password"])
            smtp.send_message(envelope)
    except (OSError, smtplib.SMTPException) as error:
        # Addresses and links stay out of the log: only the relay and the kind of failure.
        log.warning(
            "e-mail not sent through %s:%s: %s",
            settings["host"],
            settings["port"],
            type(error).__name__,
        )
        return Delivery.FAILED
    return Delivery.SENT


# --- The messages -----------------------------------------------------------------------------
# French first (the readers are French staff), then one line in English for a visiting colleague.


def password_link(to: str, url: str, hours: int, invitation: bool, school: str | None) -> Message:
    """An invitation to choose a first password, or a reset link, valid once for `hours`."""
    where = f" ({school})" if school else ""
    if invitation:
        subject = "Votre compte sur la webradio de l'école / Your school radio account"
        first = f"Un compte vient d'être ouvert pour vous sur la webradio de l'école{where}."
        english = "An account was opened for you on the school radio: choose your password here:"
    else:
        subject = "Choisir un nouveau mot de passe / Choose a new password"
        first = f"Un nouveau mot de passe a été demandé pour votre compte{where}."
        english = "A new password was asked for your account: choose it here:"
    body = (
        f"Bonjour,\n\n{first}\n"
        "Choisissez votre mot de passe en ouvrant ce lien :\n\n"
        f"{url}\n\n"
        f"Le lien ne fonctionne qu'une fois, pendant {hours} heures. Si vous n'attendiez pas ce "
        "message, ignorez-le : rien ne change sans ce lien.\n\n"
        f"{english} {url} (one use, {hours} hours).\n\n{SIGNATURE}\n"
    )
    return Message((to,), subject, body)


def decision(
    to: tuple[str, ...], title: str, approved: bool, comment: str | None, url: str
) -> Message:
    """The head's answer to a teacher's request to publish beyond the class."""
    if approved:
        subject = f"Épisode validé : {title} / Episode approved"
        said = f"La direction a validé votre épisode « {title} » : il est publié."
        english = f'The head approved your episode "{title}": it is published.'
    else:
        subject = f"Épisode à revoir : {title} / Episode sent back"
        said = f"La direction n'a pas validé votre épisode « {title} » pour l'instant."
        english = f'The head did not approve your episode "{title}" yet.'
    return _answer(to, subject, said, english, comment, url)


def correction_decision(
    to: tuple[str, ...], title: str, approved: bool, comment: str | None, url: str
) -> Message:
    """The head's answer to a teacher's correction of an episode's words."""
    if approved:
        subject = f"Correction validée : {title} / Correction approved"
        said = f"La direction a validé votre correction des textes de l'épisode « {title} »."
        english = f'The head approved your correction of the episode "{title}".'
    else:
        subject = f"Correction refusée : {title} / Correction refused"
        said = f"La direction n'a pas validé votre correction de l'épisode « {title} »."
        english = f'The head did not approve your correction of the episode "{title}".'
    return _answer(to, subject, said, english, comment, url)


def _answer(
    to: tuple[str, ...], subject: str, said: str, english: str, comment: str | None, url: str
) -> Message:
    """A head's answer to a teacher: what was decided, the comment, the episode's address."""
    note = f"\nSon commentaire :\n{comment}\n" if comment else ""
    body = f"Bonjour,\n\n{said}\n{note}\nL'épisode : {url}\n\n{english} {url}\n\n{SIGNATURE}\n"
    return Message(to, subject, body)


def correction_to_approve(to: tuple[str, ...], title: str, url: str) -> Message:
    """A teacher asks the school's heads to approve a correction of an episode's words."""
    body = (
        "Bonjour,\n\n"
        f"Un enseignant propose de corriger les textes de l'épisode « {title} », diffusé "
        "au-delà de la classe.\n"
        "Comparez l'avant et l'après, puis validez ou refusez (avec un commentaire) :\n\n"
        f"{url}\n\n"
        f'A teacher asks you to approve a correction of the episode "{title}": {url}\n\n'
        f"{SIGNATURE}\n"
    )
    return Message(to, f"Correction à valider : {title} / Correction to approve", body)


def request_to_approve(to: tuple[str, ...], title: str, url: str) -> Message:
    """A teacher asks the school's heads to approve an episode beyond the class."""
    body = (
        "Bonjour,\n\n"
        f"Un enseignant demande à publier l'épisode « {title} » au-delà de la classe.\n"
        "Écoutez-le, puis validez ou refusez (avec un commentaire) sur le tableau de bord :\n\n"
        f"{url}\n\n"
        f'A teacher asks you to approve the episode "{title}": {url}\n\n{SIGNATURE}\n'
    )
    return Message(to, f"Épisode à valider : {title} / Episode to approve", body)
