"""Semantic lookup cost with 100,000 entries: search, guards, embed, inserts.

Builds a LanceDB index of 100,000 rows (synthetic unit vectors spread over
many scopes, plus one busy scope holding the real prompts of the labelled
set), then measures insert throughput, filtered search, a full lookup
(embed + search + decide) one at a time and under concurrency, and the cost
of a lookup in an empty scope. Run: .venv/bin/python bench/semantic_bench.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from appliance.semantic.decision import DEFAULT_THRESHOLD, decide
from appliance.semantic.embedder import PACKAGED_MODEL, Batching, Embedder
from appliance.semantic.features import features
from appliance.semantic.guards import check
from appliance.semantic.index import NewEntry, SemanticIndex

PAIRS = (
    Path(__file__).resolve().parent.parent / "tests" / "data" / "semantic_pairs.jsonl"
)
DIM = 384
BUSY = "busy-scope"


@dataclass
class ModelChoice:
    model: str = PACKAGED_MODEL
    model_path: str | None = None
    threads: int = 1


def percentiles(label: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(
        f"  {label:<44} p50 {statistics.median(ms):7.2f} ms   p99 {p99:7.2f} ms"
        f"   ({len(ms)} runs)"
    )


def timed(action: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def unit_rows(rng: np.random.Generator, count: int) -> np.ndarray:
    vectors = rng.standard_normal((count, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def fill(index: SemanticIndex, vectors: np.ndarray, scopes: list[str]) -> float:
    started = time.perf_counter()
    for start in range(0, len(vectors), 1000):
        for offset, vector in enumerate(vectors[start : start + 1000]):
            scope = scopes[start + offset]
            index.add(NewEntry(scope, "ws", vector, f"k{start + offset}", "x", 86400))
        index.flush()
    return time.perf_counter() - started


def build(path: Path, embedder: Embedder, texts: list[str], rows: int) -> SemanticIndex:
    rng = np.random.default_rng(7)
    index = SemanticIndex.open(path, DIM)
    busy_rows = 5000 - len(texts)
    synthetic = rows - 5000
    scopes = [f"scope-{n % (synthetic // 50)}" for n in range(synthetic)]
    scopes += [BUSY] * busy_rows
    elapsed = fill(index, unit_rows(rng, len(scopes)), scopes)
    print(f"insert, batches of 1000: {len(scopes) / elapsed:,.0f} rows/s")

    real = embedder.embed_sync(texts)
    for n, (text, vector) in enumerate(zip(texts, real, strict=True)):
        index.add(NewEntry(BUSY, "ws", vector, f"real{n}", text, 86400))
    index.flush()

    singles = []
    for vector in unit_rows(rng, 20):
        started = time.perf_counter()
        index.add(NewEntry("scope-1", "ws", vector, "one", "x", 86400))
        index.flush()
        singles.append(time.perf_counter() - started)
    percentiles("insert, one row per table add", singles)

    started = time.perf_counter()
    index.optimize()
    print(
        f"optimize (compact + reindex) {time.perf_counter() - started:.2f} s,"
        f" {index.count():,} rows"
    )
    return index


def search_costs(index: SemanticIndex, embedder: Embedder, queries: list[str]) -> None:
    rng = np.random.default_rng(11)
    probe = unit_rows(rng, 1)[0]
    vectors = embedder.embed_sync(queries)
    cycle = iter(range(10**9))
    print("filtered vector search, k=5:")
    percentiles("scope of 50 rows", timed(lambda: index.search("scope-3", probe), 200))
    percentiles(
        "scope of 5,000 rows",
        timed(lambda: index.search(BUSY, vectors[next(cycle) % len(vectors)]), 200),
    )
    percentiles(
        "empty scope (has_scope only)", timed(lambda: index.search("none", probe), 2000)
    )


def guard_costs(queries: list[str], stored: list[str]) -> None:
    print("guards:")
    cycle = iter(range(10**9))
    percentiles(
        "features(text)",
        timed(lambda: features(queries[next(cycle) % len(queries)]), 3000),
    )
    percentiles(
        "check(query, candidate)",
        timed(
            lambda: check(
                queries[next(cycle) % len(queries)], stored[next(cycle) % len(stored)]
            ),
            3000,
        ),
    )


async def lookups(index: SemanticIndex, embedder: Embedder, queries: list[str]) -> None:
    async def one(text: str) -> bool:
        vector = await embedder.embed(text)
        found = await asyncio.to_thread(index.search, BUSY, vector, 5)
        return decide(text, found, DEFAULT_THRESHOLD) is not None

    samples, served = [], 0
    for text in queries:
        started = time.perf_counter()
        served += await one(text)
        samples.append(time.perf_counter() - started)
    print(f"full lookup (embed + search + decide), threshold {DEFAULT_THRESHOLD}:")
    percentiles(f"one at a time, served {served}/{len(queries)}", samples)
    print(f"  one at a time: {len(samples) / sum(samples):,.0f} lookups/s")

    for width in (8, 32):
        started = time.perf_counter()
        for start in range(0, len(queries), width):
            await asyncio.gather(*(one(t) for t in queries[start : start + width]))
        elapsed = time.perf_counter() - started
        print(f"  {width} concurrent: {len(queries) / elapsed:,.0f} lookups/s")


def embed_costs(embedder: Embedder, queries: list[str]) -> None:
    print("embedding (packaged MiniLM int8, 1 thread):")
    cycle = iter(range(10**9))
    percentiles(
        "embed_sync, one prompt",
        timed(lambda: embedder.embed_sync([queries[next(cycle) % len(queries)]]), 200),
    )
    batch = queries[:32]
    percentiles(
        "embed_sync, 32 prompts in one call",
        timed(lambda: embedder.embed_sync(batch), 10),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--wait-ms", type=float, default=Batching().max_wait_s * 1000)
    args = parser.parse_args()

    pairs = [json.loads(line) for line in PAIRS.read_text().splitlines() if line]
    queries = [pair["a"] for pair in pairs]
    stored = sorted({pair["b"] for pair in pairs})
    embedder = Embedder(
        ModelChoice(), batching=Batching(max_wait_s=args.wait_ms / 1000)
    )
    embedder.warm()

    with tempfile.TemporaryDirectory() as scratch:
        index = build(Path(scratch), embedder, stored, args.rows)
        embed_costs(embedder, queries)
        search_costs(index, embedder, queries)
        guard_costs(queries, stored)
        asyncio.run(lookups(index, embedder, queries))
    embedder.close()


if __name__ == "__main__":
    main()
