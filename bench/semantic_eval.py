"""Precision and recall of the semantic cache on the labelled prompt pairs.

Embeds both prompts of every pair with the configured model, asks `decide`
whether the second prompt's answer may serve the first, and compares with
the label; recall is printed with the lexical gate off and on (a pair the gate
stops is never embedded, so it misses). Run: .venv/bin/python
bench/semantic_eval.py [--threshold T] [--word-overlap W] [--sweep] [--errors]
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
from appliance.semantic.lexical_gate import ScopeWords, Vocabulary, may_match_text
from appliance.settings import SemanticSettings

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

    def served(self, threshold: float, overlap: float = 0.0) -> bool:
        if not self.passes_gate(overlap):
            return False
        candidate = Candidate("entry", self.pair["b"], self.similarity)
        return decide(self.pair["a"], [candidate], threshold) is not None

    def passes_gate(self, overlap: float) -> bool:
        return may_match_text(Vocabulary(), self.pair["a"], self.pair["b"], overlap)

    def guarded(self) -> bool:
        return self.served(-1.0)


def load_pairs(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def score(embedder: Embedder, pairs: list[dict[str, str]]) -> list[Scored]:
    left = embedder.embed_sync([pair["a"] for pair in pairs])
    right = embedder.embed_sync([pair["b"] for pair in pairs])
    similarities = np.sum(left * right, axis=1)
    return [Scored(p, float(s)) for p, s in zip(pairs, similarities, strict=True)]


def counts(
    scored: list[Scored], threshold: float, guards: bool = True, overlap: float = 0.0
) -> Counter[str]:
    tally: Counter[str] = Counter()
    for item in scored:
        if guards:
            served = item.served(threshold, overlap)
        else:
            served = item.similarity >= threshold
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


def report(scored: list[Scored], threshold: float, overlap: float) -> None:
    tally = counts(scored, threshold)
    precision, recall = precision_recall(tally)
    print(f"pairs {len(scored)}  threshold {threshold:.2f}")
    print(f"lexical gate off: precision {precision:.4f}  recall {recall:.4f}")
    print(f"  {dict(tally)}")
    gated = counts(scored, threshold, overlap=overlap)
    precision, recall = precision_recall(gated)
    print(
        f"lexical gate at {overlap:.2f}: precision {precision:.4f}  recall {recall:.4f}"
    )
    print(f"  {dict(gated)}")
    served = [s for s in scored if s.pair["label"] == "hit" and s.served(threshold)]
    stopped = [s for s in served if not s.passes_gate(overlap)]
    print(f"hits served without the gate that it stops: {len(stopped)}/{len(served)}")
    misses = [s for s in scored if s.pair["label"] == "miss"]
    skipped = sum(not s.passes_gate(overlap) for s in misses)
    print(f"near misses the gate skips (no embedding): {skipped}/{len(misses)}")
    embedded = crowd([s.pair for s in scored], overlap)
    print(
        "first prompts embedded in a scope of the other pairs' second prompts:"
        f" {embedded}/{len(scored)}"
    )
    misses = [s for s in scored if s.pair["label"] == "miss"]
    stopped = Counter(s.pair["kind"] for s in misses if not s.guarded())
    print("near misses stopped by the guards, by kind:")
    for kind, total in sorted(Counter(s.pair["kind"] for s in misses).items()):
        print(f"  {kind:<11} {stopped[kind]:>3} / {total}")


def crowd(pairs: list[dict[str, str]], overlap: float) -> int:
    """How many first prompts pass the gate in one scope holding the second
    prompts of the pairs about other first prompts (and no row with the text
    of either prompt of the pair): a crowded scope of other topics."""
    vocabulary = Vocabulary()
    texts = [pair["b"] for pair in pairs]
    scope = ScopeWords()
    scope.extend(vocabulary.words(text) for text in texts)
    column = np.array(texts, dtype=object)
    asked = np.array([pair["a"] for pair in pairs], dtype=object)
    embedded = 0
    for pair in pairs:
        words = vocabulary.words(pair["a"])
        live = (asked != pair["a"]) & (column != pair["a"]) & (column != pair["b"])
        if overlap <= 0 or not words or scope.may_match(words, overlap, live):
            embedded += 1
    return embedded


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


def gate_sweep(scored: list[Scored], threshold: float) -> None:
    print("word overlap  recall  hits stopped  near misses skipped  crowd embedded")
    served = [s for s in scored if s.pair["label"] == "hit" and s.served(threshold)]
    misses = [s for s in scored if s.pair["label"] == "miss"]
    for step in range(0, 105, 10):
        overlap = step / 100
        _, recall = precision_recall(counts(scored, threshold, overlap=overlap))
        stopped = sum(not s.passes_gate(overlap) for s in served)
        skipped = sum(not s.passes_gate(overlap) for s in misses)
        embedded = crowd([s.pair for s in scored], overlap)
        print(
            f"  {overlap:.2f}        {recall:.4f}  {stopped:>3}/{len(served)}"
            f"       {skipped:>3}/{len(misses)}           {embedded:>3}/{len(scored)}"
        )


def errors(scored: list[Scored], threshold: float, overlap: float) -> None:
    for item in sorted(scored, key=lambda s: -s.similarity):
        served = item.served(threshold, overlap)
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
    parser.add_argument(
        "--word-overlap", type=float, default=SemanticSettings().word_overlap
    )
    parser.add_argument("--model", default=PACKAGED_MODEL)
    parser.add_argument("--model-path", default=None)
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args()

    embedder = Embedder(ModelChoice(args.model, args.model_path))
    scored = score(embedder, load_pairs(args.pairs))
    embedder.close()

    report(scored, args.threshold, args.word_overlap)
    if args.sweep:
        sweep(scored)
        gate_sweep(scored, args.threshold)
    if args.errors:
        errors(scored, args.threshold, args.word_overlap)


if __name__ == "__main__":
    main()
