"""Shared fixtures for the semantic tests: one real offline embedder per run."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from appliance.semantic.embedder import PACKAGED_MODEL, Embedder
from tests.semantic.vectors import Clock


@dataclass
class ModelChoice:
    model: str = PACKAGED_MODEL
    model_path: str | None = None
    threads: int = 1


@pytest.fixture
def packaged_model() -> ModelChoice:
    return ModelChoice()


@pytest.fixture(scope="session")
def embedder() -> Iterator[Embedder]:
    built = Embedder(ModelChoice())
    built.warm()
    yield built
    built.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()
