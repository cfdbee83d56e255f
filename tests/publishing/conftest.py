"""Fixtures for the publishing tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cases import CASE_FILES, FeedCase, load_case


@pytest.fixture(params=CASE_FILES, ids=[path.stem for path in CASE_FILES])
def case(request: pytest.FixtureRequest) -> FeedCase:
    """Every golden input, one test each."""
    path: Path = request.param
    return load_case(path)
