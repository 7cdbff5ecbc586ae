"""Shared fixtures."""

import pytest

from bbt.settings import DataNotFoundError, resolve_data_dir


@pytest.fixture(scope="session")
def data_dir():
    """The shared data directory (BBT_DATA_DIR or ../shared/data); tests that need it skip without it."""
    try:
        return resolve_data_dir()
    except DataNotFoundError:
        pytest.skip("shared data not found (set BBT_DATA_DIR)")
