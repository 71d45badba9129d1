"""Semantic cache latency at the proxy, and lookups per second with 100,000 entries.

At the proxy (loopback HTTP, one request at a time, Optera with the semantic
cache on and a second one with it off, compression and routing off):

- exact hit p50/p99;
- semantic hit p50/p99: each query a different paraphrase from the labelled
  set, so every one runs the model (no remembered vectors);
- miss: distinct new questions, with the semantic cache off, then on in a
  scope with no entries and in a scope holding 1,000 help-desk questions,
  apart for two kinds of miss: unrelated prompts (other topics; the lexical
  gate skips their embedding) and near misses (the words of a stored question
  with another number, place or polarity: embedded, then refused by the
  guards); the added latency is the difference from semantic off, at p50 and
  p99. Measured misses are sent with `Cache-Control: no-store`, so the scope
  stays at 1,000 entries.

In process, with 100,000 rows in the index: the search alone (in-memory
mirror and LanceDB fallback, scopes of 1,000 and 5,000 rows), the lexical
gate alone in a scope of 5,000 help-desk questions, and full lookups per
second (embed + search + guards), one at a time and 32 at once.

    .venv/bin/python bench/semantic_bench.py [--requests 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from string import Formatter

import aiohttp
import numpy as np
from cache_bench import SYSTEM, Optera, body, start_optera, timed
from processes import free_port, start, wait_idle, wait_port

from appliance.cache.keys import SemanticQuery
from appliance.cache.semantic import SemanticCache
from appliance.cache.store import ExactStore, Limits
from appliance.semantic.embedder import PACKAGED_MODEL, Embedder
from appliance.semantic.index import NewEntry, SemanticIndex

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "tests" / "data" / "semantic_pairs.jsonl"
PY = sys.executable
Slots = dict[str, tuple[str, ...] | list[str] | str]
POPULATED = {"role": "system", "content": "You are a travel and tech help desk."}
NO_STORE = {"cache-control": "no-store"}
SEEDED = 1_000
ROWS = 100_000
CITIES = (
    "Paris Rome Madrid Berlin Vienna Prague Lisbon Dublin Oslo Athens Warsaw "
    "Budapest Zurich Brussels Amsterdam Copenhagen Helsinki Stockholm Tokyo "
    "Seoul Bangkok Sydney Toronto Chicago Boston Denver Seattle Miami Lima Cairo"
)
OTHER_CITIES = "Lyon Porto Seville Krakow Bergen Antwerp Salzburg Bologna Gdansk Malmo"
MONTHS = "January February March April May June July August September"
FOODS = "rice pasta salmon oats almonds broccoli lentils tofu cheddar"
FEATURES = ("dark mode", "autosave", "spell check", "notifications", "line numbers")
APPS = ("VS Code", "Chrome", "Slack", "Outlook", "Word", "Firefox", "Notion", "Zoom")
SEED_TEMPLATES = (
    ("How many calories are in {n} grams of {food}?", {"n": "50 100 150 200"}),
    ("What is the population of {city}?", {}),
    ("How do I enable {feature} in {app}?", {}),
    ("What's the weather usually like in {city} in {month}?", {}),
    ("How long is the flight from {city} to {other}?", {}),
    ("What time is it in {city} when it is noon in {other}?", {}),
)
NEAR_MISS_TEMPLATES = (
    ("How many calories are in {n} grams of {food}?", {"n": "75 120 300 450"}),
    ("How long is the flight from {city} to {other}?", {"other": OTHER_CITIES}),
    ("How do I disable {feature} in {app}?", {}),
    ("What's the weather usually like in {city} in {month}?", {"city": OTHER_CITIES}),
)
UNRELATED_TEMPLATES = (
    ("Who won the {year} {event}?", {}),
    ("Write a short poem about {subject}.", {}),
    ("What are the early symptoms of {illness}?", {}),
    ("Give me a vegetarian recipe for {dish}.", {}),
    ("Explain the main causes of {conflict}.", {}),
    ("Who wrote the novel {book}?", {}),
    ("What is the plot of {book} in short?", {}),
    ("How do I care for a {plant} houseplant?", {}),
    ("What are the basic rules of {sport}?", {}),
)
SLOTS: Slots = {
    "city": CITIES,
    "other": CITIES,
    "month": MONTHS,
    "food": FOODS,
    "feature": FEATURES,
    "app": APPS,
    "year": tuple(str(year) for year in range(1950, 2024)),
    "event": ("World Cup", "Tour de France", "Super Bowl", "Wimbledon final"),
    "subject": "autumn rain lighthouses bees winter trains owls rivers foxes",
    "illness": ("measles", "diabetes", "asthma", "shingles", "anemia", "gout"),
    "dish": ("lasagne", "paella", "curry", "chili", "risotto", "moussaka"),
    "conflict": ("the First World War", "the Crimean War", "the Cold War"),
    "book": ("Middlemarch", "Dune", "Beloved", "Ulysses", "Rebecca", "Emma"),
    "plant": ("monstera", "fiddle leaf fig", "snake plant", "pothos", "cactus"),
    "sport": ("cricket", "rugby", "curling", "lacrosse", "water polo", "squash"),
}


@dataclass
class ModelChoice:
    model: str = PACKAGED_MODEL
    model_path: str | None = None
    threads: int = 1


def quantiles(seconds: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in seconds)
    return statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.99))]


def report(label: str, seconds: list[float]) -> tuple[float, float]:
    p50, p99 = quantiles(seconds)
    print(f"  {label:<46} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   (n={len(seconds)})")
    return p50, p99


def prompts(templates: tuple[tuple[str, Slots], ...], count: int) -> list[str]:
    """`count` distinct prompts, the templates taken in turn, each filled with
    every combination of its slots."""
    streams = [filled(template, own) for template, own in templates]
    made: list[str] = []
    for text in itertools.chain.from_iterable(itertools.zip_longest(*streams)):
        if text is not None and text not in made:
            made.append(text)
        if len(made) == count:
            return made
    raise ValueError(f"the templates make only {len(made)} prompts")


def filled(template: str, own: Slots) -> Iterator[str]:
    names = [name for _, name, _, _ in Formatter().parse(template) if name]
    choices = []
    for name in names:
        values = own[name] if name in own else SLOTS[name]
        choices.append(values.split() if isinstance(values, str) else list(values))
    for combination in itertools.product(*choices):
        values = dict(zip(names, combination, strict=True))
        if values.get("city") != values.get("other", ""):
            yield template.format(**values)


def hit_pairs() -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in PAIRS.read_text().splitlines() if line]
    return [(row["b"], row["a"]) for row in rows if row["label"] == "hit"]


async def settled(
    session: aiohttp.ClientSession, target: Optera, text: str, system: dict = SYSTEM
) -> None:
    """Wait until the entries stored so far are searchable (`text` with more
    trailing spaces each time is a semantic hit once its entry is flushed) and
    the server has finished its background work on them."""
    for attempt in range(1, 300):
        probe = body(text + " " * attempt, system)
        _, seen = await timed(session, target, [probe], **NO_STORE)
        if seen["semantic"]:
            wait_idle([target.proc.pid])
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("stored entries never became searchable")


async def each_of(
    session: aiohttp.ClientSession,
    target: Optera,
    payloads: list[bytes],
    kind: str,
    **extra: str,
) -> list[float]:
    """Latencies of the payloads answered as `kind` (exact, semantic or miss)."""
    kept: list[float] = []
    for payload in payloads:
        lat, seen = await timed(session, target, [payload], **extra)
        if seen[kind]:
            kept.extend(lat)
    return kept


async def semantic_hits(session: aiohttp.ClientSession, near: Optera) -> None:
    pairs = hit_pairs()
    await timed(session, near, [body(stored) for stored, _ in pairs])
    # The last entry searchable means all are: the measured lookups must not
    # share the CPU with the bulk of new entries still being embedded.
    await settled(session, near, pairs[-1][0])
    served = await each_of(
        session, near, [body(query) for _, query in pairs], "semantic"
    )
    report(f"semantic hit ({len(served)}/{len(pairs)} paraphrases served)", served)


async def misses(
    session: aiohttp.ClientSession, plain: Optera, near: Optera, count: int
) -> None:
    seeds = prompts(SEED_TEMPLATES, SEEDED)
    await timed(session, near, [body(text, POPULATED) for text in seeds])
    await settled(session, near, seeds[-1], POPULATED)
    fresh = [body(f"Question number {i} about {i * 7} apples?") for i in range(count)]
    base = report(
        "miss, semantic off", (await timed(session, plain, fresh, **NO_STORE))[0]
    )
    scoped = [
        body(f"Question {i}?", {"role": "system", "content": f"System {i}"})
        for i in range(count)
    ]
    added = {
        "empty scope": report(
            "miss, semantic on, scope with no entries",
            (await timed(session, near, scoped, **NO_STORE))[0],
        )
    }
    for kind, templates in (
        ("unrelated prompt", UNRELATED_TEMPLATES),
        ("near miss", NEAR_MISS_TEMPLATES),
    ):
        asked = [body(text, POPULATED) for text in prompts(templates, count)]
        lat = await each_of(session, near, asked, "miss", **NO_STORE)
        label = f"{kind}, {len(lat)}/{count} missed"
        added[f"{SEEDED:,} entries, {kind}"] = report(
            f"miss, semantic on, {SEEDED:,} entries, {label}", lat
        )
    for label, (p50, p99) in added.items():
        print(
            f"  added on a miss, {label:<30} p50 {p50 - base[0]:+7.2f} ms"
            f"   p99 {p99 - base[1]:+7.2f} ms"
        )


async def proxy_figures(upstream: str, tmp: Path, requests: int, threads: int) -> None:
    plain = start_optera(upstream, tmp / "semantic-off", semantic=False)
    near = start_optera(upstream, tmp / "semantic-on", semantic=True, threads=threads)
    question = body("What is the capital of France?")
    try:
        async with aiohttp.ClientSession() as session:
            await timed(session, near, [question] * 200)
            lat, seen = await timed(session, near, [question] * requests)
            assert seen["exact"] == requests, seen
            report("exact hit (semantic on)", lat)
            await semantic_hits(session, near)
            await timed(session, plain, [question] * 100)
            await misses(session, plain, near, requests // 3)
    finally:
        for target in (plain, near):
            target.proc.terminate()
            target.proc.wait(timeout=30)


def unit_rows(rng: np.random.Generator, count: int, dim: int) -> np.ndarray:
    vectors = rng.standard_normal((count, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def fill(index: SemanticIndex, embedder: Embedder, texts: list[str]) -> None:
    """95 scopes of 1,000 synthetic rows, one of 4,000 synthetic rows plus the
    real texts of the labelled set: 100,000 rows in all."""
    rng = np.random.default_rng(7)
    dim = embedder.dim
    for scope in range(95):
        for n, vector in enumerate(unit_rows(rng, 1000, dim)):
            index.add(NewEntry(f"scope-{scope}", "ws", vector, f"k{n}", "x", 86400))
        index.flush()
    big = 5000 - len(texts)
    for n, vector in enumerate(unit_rows(rng, big, dim)):
        index.add(NewEntry("big", "ws", vector, f"b{n}", "x", 86400))
    for n, vector in enumerate(embedder.embed_sync(texts)):
        index.add(NewEntry("big", "ws", vector, f"real{n}", texts[n], 86400))
    index.flush()
    index.optimize()


def rate(label: str, work: Callable[[int], object], seconds: float = 1.0) -> None:
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        work(len(samples))
        samples.append(time.perf_counter() - began)
    p50, p99 = quantiles(samples)
    print(
        f"  {label:<46} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms"
        f"   {len(samples) / sum(samples):9,.0f} /s"
    )


def search_figures(mirrored: SemanticIndex, table: SemanticIndex, dim: int) -> None:
    probes = unit_rows(np.random.default_rng(11), 64, dim)
    for label, index in (("mirror", mirrored), ("LanceDB", table)):
        for scope, size in (("scope-3", "1,000"), ("big", "5,000")):
            index.search(scope, probes[0])
            rate(
                f"search, {label}, scope of {size} rows",
                lambda n, i=index, s=scope: i.search(s, probes[n % 64]),
            )


def gate_figures(tmp: Path, dim: int) -> None:
    """The lexical gate alone in a mirrored scope of 5,000 help-desk questions
    (2,000 wordings, each two or three times: longer postings than 5,000
    distinct ones would make)."""
    index = SemanticIndex.open(tmp / "gate", dim)
    wordings = prompts(SEED_TEMPLATES, 2000)
    for n, vector in enumerate(unit_rows(np.random.default_rng(5), 5000, dim)):
        text = wordings[n % len(wordings)]
        index.add(NewEntry("desk", "ws", vector, f"d{n}", text, 86400))
    index.flush()
    index.search("desk", unit_rows(np.random.default_rng(6), 1, dim)[0])
    for kind, templates in (
        ("unrelated prompt", UNRELATED_TEMPLATES),
        ("near miss", NEAR_MISS_TEMPLATES),
    ):
        asked = prompts(templates, 300)
        through = sum(index.may_hit("desk", text) for text in asked)
        rate(
            f"gate, 5,000 rows, {kind} ({through}/300 embedded)",
            lambda n, a=asked: index.may_hit("desk", a[n % 300]),
        )


async def lookup_figures(cache: SemanticCache, label: str, texts: list[str]) -> None:
    async def one(text: str) -> None:
        await cache.lookup(SemanticQuery("big", text), 0.88)

    began = time.perf_counter()
    for text in texts[:150]:
        await one(text)
    single = 150 / (time.perf_counter() - began)
    began = time.perf_counter()
    rest = texts[150:]
    for start_at in range(0, len(rest), 32):
        await asyncio.gather(*(one(t) for t in rest[start_at : start_at + 32]))
    wide = len(rest) / (time.perf_counter() - began)
    print(
        f"  full lookups, {label:<8} one at a time {single:6,.0f} /s"
        f"   32 at once {wide:6,.0f} /s"
    )


async def index_figures(tmp: Path, threads: int) -> None:
    pairs = [json.loads(line) for line in PAIRS.read_text().splitlines() if line]
    stored = sorted({pair["b"] for pair in pairs})
    embedder = Embedder(ModelChoice(threads=threads))
    embedder.warm()
    began = time.perf_counter()
    fill(SemanticIndex.open(tmp / "vectors", embedder.dim), embedder, stored)
    mirrored = SemanticIndex.open(tmp / "vectors", embedder.dim)
    table = SemanticIndex.open(tmp / "vectors", embedder.dim, mirror_rows=0)
    print(
        f"  {mirrored.count():,} rows written and compacted in"
        f" {time.perf_counter() - began:.1f} s"
    )
    probe = embedder.embed_sync(["first search after a restart"])[0]
    began = time.perf_counter()
    mirrored.search("big", probe)
    print(
        "  first search of a 5,000-row scope (copies it into memory):"
        f" {(time.perf_counter() - began) * 1000:.1f} ms"
    )
    search_figures(mirrored, table, embedder.dim)
    gate_figures(tmp, embedder.dim)
    store = ExactStore(None, Limits(10, 10**8))
    for label, index in (("mirror", mirrored), ("LanceDB", table)):
        # Fresh texts each round: a remembered vector would skip the model.
        texts = [f"{pair['a']} ({label})" for pair in pairs]
        await lookup_figures(SemanticCache(embedder, index, store), label, texts)
    embedder.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--in-process-only", action="store_true")
    parser.add_argument("--proxy-only", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="model threads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="optera-semantic-bench-") as scratch:
        tmp = Path(scratch)
        if not args.in_process_only:
            up_port = free_port()
            upstream = start([PY, "bench/upstream.py", str(up_port), "0"])
            wait_port(up_port)
            try:
                print("At the proxy (loopback HTTP, one request at a time):")
                url = f"http://127.0.0.1:{up_port}"
                await proxy_figures(url, tmp, args.requests, args.threads)
            finally:
                upstream.terminate()
                upstream.wait(timeout=30)
        if not args.proxy_only:
            print(f"In process, {ROWS:,} rows in the index:")
            await index_figures(tmp, args.threads)


if __name__ == "__main__":
    asyncio.run(main())
