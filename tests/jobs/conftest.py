"""Fixtures for the leak scans: an empty database, a history writer, settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from appliance.settings import LeakSettings
from appliance.store.db import open_engine
from tests.jobs.history import History

MODELS_TOML = """
[models.openai."gpt-4o"]
context_window = 128000

[models.openai."small-model"]
context_window = 8192
"""


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_engine(tmp_path / "data")
    yield engine
    engine.dispose()


@pytest.fixture
def history(engine: Engine) -> History:
    return History(engine)


@pytest.fixture
def leaks(tmp_path: Path) -> LeakSettings:
    models = tmp_path / "models.toml"
    models.write_text(MODELS_TOML)
    return LeakSettings.model_validate(
        {"oversized_context": {"models_file": str(models)}}
    )
