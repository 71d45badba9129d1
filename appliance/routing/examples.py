"""Labelled example prompts and the nearest-neighbour vote over them.

The examples ship in routing/data/routing_examples.jsonl, one JSON object a line
with `prompt` and `label` ("easy": a cheaper model answers it as well;
"hard": it needs the asked model). Their vectors are computed once at
start-up from each example's instruction; a vote is one matrix product.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from appliance.routing.prompt import split_material

LABELS = ("easy", "hard")
EMBED_CHARS = 2000
EMBED_BATCH = 32


class SyncEmbedder(Protocol):
    def embed_sync(self, texts: list[str]) -> np.ndarray:
        """Unit-length vectors, one row per text."""
        ...


@dataclass(frozen=True)
class Example:
    """A labelled prompt; `system`, `history` and `request` (extra body fields)
    let an example stand for a whole chat request."""

    prompt: str
    label: str
    category: str = ""
    system: str = ""
    history: tuple[dict[str, Any], ...] = ()
    request: dict[str, Any] = field(default_factory=dict)

    def body(self, model: str) -> dict[str, Any]:
        """The example as an OpenAI chat completions body for `model`."""
        system = [{"role": "system", "content": self.system}] if self.system else []
        user = [{"role": "user", "content": self.prompt}]
        messages = [*system, *self.history, *user]
        return {"model": model, "messages": messages, **self.request}


@dataclass(frozen=True)
class Vote:
    """How the nearest examples lean: the similarity-weighted share of easy
    ones, and how close the nearest one is."""

    easy_share: float
    nearest: float


def load_examples(path: Path) -> list[Example]:
    """The examples in a JSON-lines file; a line without a known label is an error."""
    examples = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("label") not in LABELS or not row.get("prompt"):
                raise ValueError(f"{path}:{number}: needs a prompt and label easy|hard")
            examples.append(
                Example(row["prompt"], row["label"], row.get("category", ""))
            )
    return examples


def _example(row: dict[str, Any]) -> Example:
    return Example(
        prompt=row["prompt"],
        label=row["label"],
        category=row.get("category", ""),
        system=row.get("system", ""),
        history=tuple(row.get("history", ())),
        request=dict(row.get("request", {})),
    )


class ExampleBank:
    """The example vectors and labels, ready to vote."""

    def __init__(self, examples: Sequence[Example], vectors: np.ndarray) -> None:
        if len(examples) != len(vectors) or not examples:
            raise ValueError("one vector per example, and at least one example")
        self.examples = tuple(examples)
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self._easy = np.array([e.label == "easy" for e in examples], dtype=np.float32)

    @classmethod
    def embed(cls, examples: Sequence[Example], embedder: SyncEmbedder) -> ExampleBank:
        """Embed each example's instruction (as requests are), in small batches."""
        texts = [split_material(e.prompt)[0][:EMBED_CHARS] for e in examples]
        batches = [
            embedder.embed_sync(texts[start : start + EMBED_BATCH])
            for start in range(0, len(texts), EMBED_BATCH)
        ]
        return cls(examples, np.vstack(batches))

    def vote(self, vector: np.ndarray, k: int, exclude: int | None = None) -> Vote:
        """The vote of the `k` examples nearest to `vector` (a unit vector).

        `exclude` leaves one example out, for measuring the bank on itself.
        """
        similarity = self.vectors @ np.asarray(vector, dtype=np.float32)
        if exclude is not None:
            similarity[exclude] = -np.inf
        nearest = np.argsort(-similarity)[:k]
        weights = np.clip(similarity[nearest], 0.0, None) ** 2
        total = float(weights.sum())
        share = float(weights @ self._easy[nearest]) / total if total > 0 else 0.5
        return Vote(easy_share=share, nearest=float(similarity[nearest[0]]))
