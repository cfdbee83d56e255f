"""Sound tools for staff: take reports, waveform peaks, the school's jingles."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sound", __name__)
