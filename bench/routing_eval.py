"""How well the router tells easy prompts from hard ones, on the labelled set.

Prints the share of easy prompts routed and of hard prompts wrongly routed
at one threshold, by category, then a threshold sweep on the labelled
prompts and on the shipped examples (each example voted on by the others).
`--fit` refits the classifier's fitted weights on the examples and prints them.

    .venv/bin/python bench/routing_eval.py [--threshold 0.8] [--fit]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from appliance.routing.classifier import DifficultyClassifier, signals
from appliance.routing.examples import Example, ExampleBank, load_examples
from appliance.routing.features import features_of
from appliance.routing.needs import needs_of
from appliance.routing.prompt import read_prompt
from appliance.routing.router import Router, load_route_table
from appliance.semantic.embedder import Embedder
from appliance.settings import SemanticSettings
from appliance.tokens import TokenCounter

ROOT = Path(__file__).resolve().parent.parent
SWEEP = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
FITTED = ("bias", "vote", "length", "demands", "depth", "brevity", "math", "code")


@dataclass
class Scored:
    example: Example
    easiness: float | None  # None: a never-route rule kept it on the asked model


def score_prompts(
    router: Router, embedder: Embedder, prompts: list[Example], model: str
) -> tuple[list[Scored], list[float]]:
    """Each prompt's easiness as the route step would see it, and the time
    each decision took without the embedding."""
    scored, timings = [], []
    for example in prompts:
        started = time.perf_counter()
        candidate = router.candidate("openai", example.body(model), {})
        spent = time.perf_counter() - started
        if candidate is None:
            scored.append(Scored(example, None))
            continue
        vector = embedder.embed_sync([candidate.text])[0]
        started = time.perf_counter()
        verdict = router.verdict(candidate, vector)
        timings.append((spent + time.perf_counter() - started) * 1000)
        scored.append(Scored(example, verdict.easiness))
    return scored, timings


def score_examples(bank: ExampleBank, classifier: DifficultyClassifier) -> list[Scored]:
    """Each example judged by the vote of the other examples."""
    scored = []
    for index, example in enumerate(bank.examples):
        body = example.body("gpt-4o")
        prompt = read_prompt(body)
        features = features_of(prompt, needs_of(body, prompt))
        vote = bank.vote(bank.vectors[index], 7, exclude=index)
        scored.append(Scored(example, classifier.judge(features, vote).easiness))
    return scored


def rates(scored: list[Scored], threshold: float) -> dict[str, tuple[int, int]]:
    """label -> (routed, total)."""
    out: dict[str, tuple[int, int]] = {}
    for label in ("easy", "hard"):
        group = [s for s in scored if s.example.label == label]
        routed = sum(
            1 for s in group if s.easiness is not None and s.easiness >= threshold
        )
        out[label] = (routed, len(group))
    return out


def pct(pair: tuple[int, int]) -> str:
    routed, total = pair
    return f"{routed:3d}/{total:3d} {100 * routed / max(total, 1):5.1f}%"


def report(scored: list[Scored], examples: list[Scored], threshold: float) -> None:
    at = rates(scored, threshold)
    print(f"labelled prompts: {len(scored)}, threshold {threshold:.2f}")
    print(f"  easy routed          {pct(at['easy'])}")
    print(f"  hard wrongly routed  {pct(at['hard'])}")
    refused = sum(1 for s in scored if s.easiness is None)
    print(f"  kept by a never-route rule: {refused}")
    print("by category (easy routed | hard routed):")
    for category in sorted({s.example.category for s in scored}):
        group = rates([s for s in scored if s.example.category == category], threshold)
        print(f"  {category:15s} {pct(group['easy'])} | {pct(group['hard'])}")
    print("hard prompts routed:")
    for s in scored:
        if s.example.label == "hard" and (s.easiness or 0) >= threshold:
            print(f"  {s.easiness:.2f} {s.example.prompt[:90]!r}")
    print("threshold sweep: labelled prompts | shipped examples, leave-one-out")
    for value in SWEEP:
        test, own = rates(scored, value), rates(examples, value)
        print(
            f"  {value:.2f}  easy {pct(test['easy'])}  hard {pct(test['hard'])}"
            f"  |  easy {pct(own['easy'])}  hard {pct(own['hard'])}"
        )


def fit(bank: ExampleBank, l2: float = 1.0, steps: int = 4000) -> dict[str, float]:
    """Logistic regression of easy/hard on the fitted signals of the examples."""
    rows, labels = [], []
    for index, example in enumerate(bank.examples):
        body = example.body("gpt-4o")
        prompt = read_prompt(body)
        inputs = signals(
            features_of(prompt, needs_of(body, prompt)),
            bank.vote(bank.vectors[index], 7, exclude=index),
        )
        rows.append([inputs[name] for name in FITTED])
        labels.append(example.label == "easy")
    x, y = np.array(rows), np.array(labels, dtype=float)
    w = np.zeros(len(FITTED))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w)))
        penalty = l2 * np.r_[0.0, w[1:]]
        w -= 0.2 * (x.T @ (p - y) + penalty) / len(y)
    return dict(zip(FITTED, np.round(w, 2).tolist(), strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--model", default="gpt-4o")
    parser.add_argument("--fit", action="store_true")
    parser.add_argument(
        "--models", type=Path, default=ROOT / "appliance/routing/data/models.toml"
    )
    parser.add_argument(
        "--examples",
        type=Path,
        default=ROOT / "appliance/routing/data/routing_examples.jsonl",
    )
    parser.add_argument(
        "--prompts", type=Path, default=ROOT / "tests/data/routing_prompts.jsonl"
    )
    args = parser.parse_args()

    embedder = Embedder(SemanticSettings())
    started = time.perf_counter()
    bank = ExampleBank.embed(load_examples(args.examples), embedder)
    spent = time.perf_counter() - started
    print(f"embedded {len(bank.examples)} examples in {spent:.1f} s")
    if args.fit:
        print("fitted weights:", fit(bank))
    classifier = DifficultyClassifier(bank)
    router = Router(load_route_table(args.models), classifier, TokenCounter())
    prompts = load_examples(args.prompts)
    started = time.perf_counter()
    scored, timings = score_prompts(router, embedder, prompts, args.model)
    per_prompt = (time.perf_counter() - started) * 1000 / len(prompts)
    report(scored, score_examples(bank, classifier), args.threshold)
    print(
        f"decision without embedding: median {statistics.median(timings):.2f} ms;"
        f" with embedding {per_prompt:.1f} ms a prompt"
    )
    print("labels:", dict(Counter(p.label for p in prompts)))
    embedder.close()


if __name__ == "__main__":
    main()
