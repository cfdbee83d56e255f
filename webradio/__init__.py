"""webradio: a school's web radio, from a take recorded in class to a published podcast feed.

The app factory lives in `webradio.factory` and is loaded on first use, so that the audio
pipeline (`webradio.audio`) can run without importing Flask and SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from webradio.factory import LANGUAGES, PACKAGE_DIR, TEMPLATES, create_app

__all__ = ["LANGUAGES", "PACKAGE_DIR", "TEMPLATES", "create_app"]


def __getattr__(name: str) -> Any:
    """`webradio.create_app` and its constants, imported when first asked for."""
    if name in __all__:
        from webradio import factory

        return getattr(factory, name)
    raise AttributeError(f"module 'webradio' has no attribute {name!r}")
