"""Single-letter labels: "exercise a" and "exercise b" are different questions."""

from __future__ import annotations

import pytest

from appliance.semantic.guards import check


@pytest.mark.parametrize(
    ("query", "cached"),
    [
        ("Solve exercise b", "Solve exercise a"),
        ("Grade submission b", "Grade submission a"),
        ("Summarize appendix e", "Summarize appendix a"),
        ("Explain option c of the plan", "Explain option d of the plan"),
    ],
)
def test_semantic_hit_refused_when_single_letter_labels_differ(query, cached):
    verdict = check(query, cached)
    assert not verdict.ok
    assert verdict.reason == "single-letter labels differ"


def test_article_a_does_not_block_a_paraphrase():
    assert check("Write a haiku about the sea", "Write a short haiku about the sea").ok
