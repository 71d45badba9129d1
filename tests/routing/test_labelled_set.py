"""The labelled prompts: at most 2% of hard ones routed, at least 60% of easy
ones, at the default threshold; and the set shares nothing with the examples."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from appliance.routing.examples import Example, load_examples
from appliance.routing.router import Router
from appliance.semantic.embedder import Embedder
from tests.routing.conftest import EXAMPLES, PROMPTS

THRESHOLD = 0.8
CATEGORIES = {
    "support",
    "extraction",
    "classification",
    "summarization",
    "coding",
    "math",
    "reasoning",
}


@pytest.fixture(scope="module")
def prompts() -> list[Example]:
    return load_examples(PROMPTS)


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return load_examples(EXAMPLES)


def normal(text: str) -> str:
    return " ".join(text.lower().split())


def test_labelled_set_covers_the_workloads(prompts: list[Example]):
    labels = Counter(p.label for p in prompts)
    assert len(prompts) >= 200
    assert labels["easy"] >= 100 and labels["hard"] >= 100
    assert {p.category for p in prompts} == CATEGORIES
    for category in CATEGORIES:
        group = Counter(p.label for p in prompts if p.category == category)
        assert group["easy"] >= 10 and group["hard"] >= 10, category


def test_labelled_set_shares_no_prompt_with_the_examples(
    prompts: list[Example], examples: list[Example]
):
    shipped = {normal(e.prompt) for e in examples}
    assert not [p.prompt for p in prompts if normal(p.prompt) in shipped]
    assert len({normal(p.prompt) for p in prompts}) == len(prompts)


@pytest.fixture(scope="module")
def judged(
    router: Router, embedder: Embedder, prompts: list[Example]
) -> list[tuple[Example, np.ndarray, float]]:
    """Each labelled prompt with the vector of its instruction and its easiness."""
    candidates = [router.candidate("openai", p.body("gpt-4o"), {}) for p in prompts]
    assert all(candidates)
    texts = [c.text for c in candidates if c is not None]
    vectors = np.vstack(
        [embedder.embed_sync(texts[i : i + 32]) for i in range(0, len(texts), 32)]
    )
    return [
        (prompt, vector, router.verdict(candidate, vector).easiness)
        for prompt, candidate, vector in zip(prompts, candidates, vectors, strict=True)
        if candidate is not None
    ]


def test_no_labelled_prompt_is_a_near_copy_of_an_example(router: Router, judged):
    vectors = np.vstack([vector for _, vector, _ in judged])
    nearest = (vectors @ router.classifier.bank.vectors.T).max(axis=1)
    assert float(nearest.max()) < 0.9


def routed_share(judged, label: str) -> float:
    scores = [score for prompt, _, score in judged if prompt.label == label]
    return sum(score >= THRESHOLD for score in scores) / len(scores)


def test_at_most_two_percent_of_hard_prompts_are_routed(judged):
    assert routed_share(judged, "hard") <= 0.02


def test_at_least_sixty_percent_of_easy_prompts_are_routed(judged):
    assert routed_share(judged, "easy") >= 0.60
