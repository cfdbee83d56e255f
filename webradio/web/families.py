"""Family tokens and the letters that carry them (QR code, feed address)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("families", __name__)
