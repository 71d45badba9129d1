"""Precision and recall of the semantic cache on the labelled prompt pairs.

Embeds both prompts of every pair with the configured model, asks `decide`
whether the second prompt's answer may serve the first, and compares with
the label. Run: .venv/bin/python bench/semantic_eval.py [--threshold T]
[--sweep] [--errors]
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from appliance.semantic.decision import DEFAULT_THRESHOLD, decide
from appliance.semantic.embedder import PACKAGED_MODEL, Embedder
from appliance.semantic.index import Candidate

PAIRS = (
    Path(__file__).resolve().parent.parent / "tests" / "data" / "semantic_pairs.jsonl"
)
logger = logging.getLogger("semantic_eval")


@dataclass
class ModelChoice:
    model: str = PACKAGED_MODEL
    model_path: str | None = None
    threads: int = 1


@dataclass(frozen=True)
class Scored:
    pair: dict[str, str]
    similarity: float

    def served(self, threshold: float) -> bool:
        candidate = Candidate("entry", self.pair["b"], self.similarity)
        return decide(self.pair["a"], [candidate], threshold) is not None

    def guarded(self) -> bool:
        return self.served(-1.0)


def load_pairs(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def score(embedder: Embedder, pairs: list[dict[str, str]]) -> list[Scored]:
    left = embedder.embed_sync([pair["a"] for pair in pairs])
    right = embedder.embed_sync([pair["b"] for pair in pairs])
    similarities = np.sum(left * right, axis=1)
    return [Scored(p, float(s)) for p, s in zip(pairs, similarities, strict=True)]


def counts(scored: list[Scored], threshold: float, guards: bool = True) -> Counter[str]:
    tally: Counter[str] = Counter()
    for item in scored:
        served = item.served(threshold) if guards else item.similarity >= threshold
        hit = item.pair["label"] == "hit"
        tally[
            {(True, True): "tp", (True, False): "fp", (False, True): "fn"}.get(
                (served, hit), "tn"
            )
        ] += 1
    return tally


def precision_recall(tally: Counter[str]) -> tuple[float, float]:
    served = tally["tp"] + tally["fp"]
    precision = tally["tp"] / served if served else 1.0
    return precision, tally["tp"] / max(tally["tp"] + tally["fn"], 1)


def report(scored: list[Scored], threshold: float) -> None:
    tally = counts(scored, threshold)
    precision, recall = precision_recall(tally)
    print(f"pairs {len(scored)}  threshold {threshold:.2f}")
    print(f"precision {precision:.4f}  recall {recall:.4f}  {dict(tally)}")
    misses = [s for s in scored if s.pair["label"] == "miss"]
    stopped = Counter(s.pair["kind"] for s in misses if not s.guarded())
    print("near misses stopped by the guards, by kind:")
    for kind, total in sorted(Counter(s.pair["kind"] for s in misses).items()):
        print(f"  {kind:<11} {stopped[kind]:>3} / {total}")


def sweep(scored: list[Scored]) -> None:
    print("threshold  precision  recall   fp  | similarity only: precision  recall")
    for step in range(60, 100, 2):
        threshold = step / 100
        guarded = precision_recall(counts(scored, threshold))
        bare = precision_recall(counts(scored, threshold, guards=False))
        print(
            f"  {threshold:.2f}     {guarded[0]:.4f}   {guarded[1]:.4f}  "
            f"{counts(scored, threshold)['fp']:>3}  |  {bare[0]:.4f}  {bare[1]:.4f}"
        )


def errors(scored: list[Scored], threshold: float) -> None:
    for item in sorted(scored, key=lambda s: -s.similarity):
        served = item.served(threshold)
        if served != (item.pair["label"] == "hit"):
            wrong = "FALSE HIT " if served else "missed hit"
            print(
                f"{wrong} {item.similarity:.3f} [{item.pair['kind']}] "
                f"{item.pair['a']!r} ~ {item.pair['b']!r}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--model", default=PACKAGED_MODEL)
    parser.add_argument("--model-path", default=None)
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args()

    embedder = Embedder(ModelChoice(args.model, args.model_path))
    scored = score(embedder, load_pairs(args.pairs))
    embedder.close()

    report(scored, args.threshold)
    if args.sweep:
        sweep(scored)
    if args.errors:
        errors(scored, args.threshold)


if __name__ == "__main__":
    main()
