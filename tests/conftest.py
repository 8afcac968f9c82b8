"""Shared fixtures; puts ``tests/`` on the import path so tests can ``import support``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support  # noqa: E402


@pytest.fixture(scope="session")
def demo_csv() -> Path:
    """The bundled demo counts file."""
    return support.DEMO


@pytest.fixture(scope="session")
def demo_data():
    """The demo file through the analysis layer (memoised by content)."""
    from mchanalysis.analysis import load_analysis_data

    return load_analysis_data(support.DEMO)


@pytest.fixture(scope="session")
def wheel_venv(tmp_path_factory):
    """The bin folder of a fresh virtualenv holding the wheel built from this tree (built once per
    session: ``tests/installed_wheel.py``)."""
    import installed_wheel

    yield from installed_wheel.build_venv(tmp_path_factory)
