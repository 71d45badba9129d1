"""The labelled prompt pairs: the semantic cache serves almost no wrong answer."""

import json
from pathlib import Path

import numpy as np
import pytest

from appliance.semantic.decision import DEFAULT_THRESHOLD, decide
from appliance.semantic.index import Candidate
from appliance.semantic.lexical_gate import (
    DEFAULT_WORD_OVERLAP,
    Vocabulary,
    may_match_text,
)
from appliance.settings import SemanticSettings

PAIRS = Path(__file__).resolve().parents[1] / "data" / "semantic_pairs.jsonl"


@pytest.fixture(scope="module")
def pairs() -> list[dict[str, str]]:
    return [json.loads(line) for line in PAIRS.read_text().splitlines() if line]


@pytest.fixture(scope="module")
def similarities(pairs, embedder) -> np.ndarray:
    left = embedder.embed_sync([pair["a"] for pair in pairs])
    right = embedder.embed_sync([pair["b"] for pair in pairs])
    return np.sum(left * right, axis=1)


@pytest.fixture(
    scope="module",
    params=sorted({DEFAULT_THRESHOLD, SemanticSettings().threshold}),
    ids=lambda threshold: f"threshold {threshold}",
)
def outcomes(request, pairs, similarities) -> list[tuple[str, bool]]:
    served = []
    for pair, similarity in zip(pairs, similarities, strict=True):
        candidate = Candidate("entry", pair["b"], float(similarity))
        chosen = decide(pair["a"], [candidate], request.param)
        served.append((pair["label"], chosen is not None))
    return served


def test_labelled_set_is_large_and_covers_every_near_miss_kind(pairs):
    kinds = {pair["kind"] for pair in pairs if pair["label"] == "miss"}

    assert len(pairs) >= 300
    assert sum(pair["label"] == "hit" for pair in pairs) >= 150
    assert {"number", "name", "place", "date", "unit", "negation"} <= kinds
    assert {"language", "code", "opposite", "role", "quoted"} <= kinds
    assert len({(pair["a"], pair["b"]) for pair in pairs}) == len(pairs)


def test_precision_at_the_default_thresholds_is_at_least_0_995(outcomes):
    served = [label for label, hit in outcomes if hit]
    precision = served.count("hit") / len(served)

    assert precision >= 0.995


def test_recall_at_the_default_thresholds_is_at_least_0_6(outcomes):
    paraphrases = [hit for label, hit in outcomes if label == "hit"]
    recall = sum(paraphrases) / len(paraphrases)

    assert recall >= 0.6


def test_lexical_gate_keeps_recall_within_0_02_and_at_least_0_80(pairs, similarities):
    overlap = SemanticSettings().word_overlap
    vocabulary = Vocabulary()
    served, through_gate = [], []
    for pair, similarity in zip(pairs, similarities, strict=True):
        if pair["label"] != "hit":
            continue
        candidate = Candidate("entry", pair["b"], float(similarity))
        hit = decide(pair["a"], [candidate], DEFAULT_THRESHOLD) is not None
        served.append(hit)
        through_gate.append(
            hit and may_match_text(vocabulary, pair["a"], pair["b"], overlap)
        )
    recall = sum(served) / len(served)
    gated_recall = sum(through_gate) / len(through_gate)

    assert overlap == DEFAULT_WORD_OVERLAP > 0
    assert gated_recall >= 0.80
    assert recall - gated_recall <= 0.02
