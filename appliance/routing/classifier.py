"""The difficulty decision: request features and the example vote, weighed
into one easiness score between 0 and 1.

The score is a logistic function of a few signals. A request is routed when
its easiness reaches the threshold, so a higher threshold routes less.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from appliance.routing.examples import ExampleBank, Vote
from appliance.routing.features import Features

NEIGHBOURS = 7
LENGTH_PIVOT = 5.0
LENGTH_RANGE = (-0.7, 2.5)


@dataclass(frozen=True)
class Weights:
    """Logit weights of each signal.

    bias to code were fitted by logistic regression on the shipped examples
    (each example voted on by the others); `bench/routing_eval.py --fit`
    refits them. The examples hold no tools, output schemas, reasoning
    settings, step lists or long conversations, so those five weights are
    set by hand, leaning towards keeping such requests on the asked model.
    """

    bias: float = 0.57
    vote: float = 4.12
    length: float = -1.63
    demands: float = -1.16
    depth: float = -1.37
    brevity: float = 0.71
    math: float = -0.85
    code: float = 0.04
    tools: float = -0.2
    schema: float = -0.03
    reasoning: float = -2.0
    steps: float = -0.2
    turns: float = -0.15


@dataclass(frozen=True)
class Verdict:
    easiness: float
    vote: Vote


def signals(features: Features, vote: Vote) -> dict[str, float]:
    """The classifier's inputs, each scaled and capped; keys match `Weights`."""
    low, high = LENGTH_RANGE
    length = math.log(max(features.instruction_chars, 1)) - LENGTH_PIVOT
    return {
        "bias": 1.0,
        "vote": vote.easy_share - 0.5,
        "length": min(max(length, low), high),
        "demands": min(features.demands, 6),
        "depth": min(features.depth_cues, 5),
        "brevity": min(features.brevity_cues, 3),
        "math": float(features.math),
        "code": float(features.code),
        "tools": min(features.tools, 10),
        "schema": min(features.schema_fields, 40),
        "reasoning": float(features.reasoning),
        "steps": min(features.step_lines, 10),
        "turns": min(features.user_turns - 1, 10),
    }


class DifficultyClassifier:
    """Scores how safely a cheaper model can answer a request."""

    def __init__(
        self, bank: ExampleBank, weights: Weights | None = None, k: int = NEIGHBOURS
    ) -> None:
        self.bank = bank
        self._weights = asdict(weights or Weights())
        self._k = k

    def verdict(self, features: Features, vector: np.ndarray) -> Verdict:
        """Easiness of a request with `features` whose task embeds to `vector`."""
        return self.judge(features, self.bank.vote(vector, self._k))

    def judge(self, features: Features, vote: Vote) -> Verdict:
        inputs = signals(features, vote)
        logit = sum(self._weights[name] * value for name, value in inputs.items())
        return Verdict(easiness=1.0 / (1.0 + math.exp(-logit)), vote=vote)
