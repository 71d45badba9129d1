"""Where the routing data ships: the model capability table and the examples.

Both are package data, so an installed appliance finds them wherever it
runs; `[routing] models_file` / `examples_file` point at other copies.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
MODELS_FILE = DATA / "models.toml"
EXAMPLES_FILE = DATA / "routing_examples.jsonl"


def models_file(configured: str | None) -> Path:
    return Path(configured) if configured else MODELS_FILE


def examples_file(configured: str | None) -> Path:
    return Path(configured) if configured else EXAMPLES_FILE
