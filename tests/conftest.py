"""Fixtures shared by the unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._realdata import REALDATA


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The real files; CI lays ../shared beside the clone, so a missing folder is a skip."""
    if not REALDATA.is_dir():
        pytest.skip(f"real test files not found at {REALDATA} (set TWIN_REALDATA)")
    return REALDATA
