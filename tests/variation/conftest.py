"""The engine's tests run in a process set up as every serving process is (one BLAS thread,
Pillow's block cache), so the golden values are those the service produces."""

from __future__ import annotations

import pytest

from variation.image import configure_process


@pytest.fixture(scope="session", autouse=True)
def engine_process_settings() -> None:
    configure_process()
