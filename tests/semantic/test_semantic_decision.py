"""decide: the nearest candidate above the threshold that the guards accept."""

import logging

from appliance.semantic.decision import decide
from appliance.semantic.index import Candidate

QUERY = "What is the capital of France?"


def test_decide_serves_the_most_similar_accepted_candidate():
    near = Candidate("k-near", "Which city is the capital of France?", 0.95)
    nearer = Candidate("k-nearer", "what is the capital of france", 0.99)

    assert decide(QUERY, [near, nearer], 0.9) == nearer


def test_decide_serves_nothing_below_the_threshold():
    assert decide(QUERY, [Candidate("k", "Capital of France?", 0.89)], 0.9) is None


def test_decide_skips_a_blocked_candidate_for_the_next_accepted_one():
    germany = Candidate("k-de", "What is the capital of Germany?", 0.97)
    france = Candidate("k-fr", "Which city is the capital of France?", 0.93)

    assert decide(QUERY, [germany, france], 0.9) == france


def test_decide_logs_blocked_candidates_at_debug_with_similarity_and_reason(caplog):
    germany = Candidate("k-de", "What is the capital of Germany?", 0.9731)

    with caplog.at_level(logging.DEBUG, logger="appliance.semantic.decision"):
        assert decide(QUERY, [germany], 0.9) is None

    record = caplog.records[-1]
    assert record.levelno == logging.DEBUG
    assert "0.9731" in record.getMessage()
    assert "entities differ" in record.getMessage()
    assert "Germany" not in record.getMessage()


def test_decide_with_no_candidates_serves_nothing():
    assert decide(QUERY, [], 0.5) is None


def test_decide_never_serves_a_prompt_longer_than_the_model_reads_well():
    long_query = "Summarise this report for the board. " * 30
    twin = Candidate("k", long_query, 1.0)

    assert decide(long_query, [twin], 0.5) is None
