"""Parental authorisations for the school head: the grid, forms, history, data protection."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("consent", __name__)
