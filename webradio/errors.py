"""One exception family for webradio; the web and command line map it to answers once."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a French message for translation without translating it yet (babel extracts N_)."""
    return message


class WebradioError(Exception):
    """A refusal a person can act on: `message` is French, translated where it is shown."""

    http_status = 400

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class NotFound(WebradioError):
    """The object asked for does not exist, or is not visible to whoever asks."""

    http_status = 404


class Forbidden(WebradioError):
    """The signed-in person's role does not allow this."""

    http_status = 403


class ConsentRefused(WebradioError):
    """The consent gate clears the episode for none of the audiences asked."""

    http_status = 409


class AudioError(WebradioError):
    """Audio that cannot be turned into a master; `code` says why, for tests and JSON."""

    http_status = 422

    def __init__(self, code: str, message: str, detail: str = "", **params: object) -> None:
        super().__init__(message, **params)
        self.code = code
        self.detail = detail


class FfmpegError(AudioError):
    """ffmpeg itself failed; carries the command and the tail of its stderr."""

    def __init__(self, argv: list[str], stderr_tail: str) -> None:
        super().__init__(
            "ffmpeg_failed",
            N_("Le traitement du son a échoué. Le fichier original est conservé ; réessayez."),
            detail=stderr_tail,
        )
        self.argv = argv
        self.stderr_tail = stderr_tail
