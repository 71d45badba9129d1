"""Exact and semantic cache latency at the proxy, and lookups with 100,000 entries.

Starts the bench upstream and Optera processes on loopback (compression,
routing and leak scans off, so the cache is what is measured) and drives them
one request at a time with aiohttp:

- exact hit: the same request again and again;
- semantic hit: paraphrases of one cached question;
- miss: a new question each time, with the semantic cache off, then on (in a
  new scope each time, and in a scope that holds entries);

then measures in process the exact store and the semantic lookup holding
100,000 entries.

    .venv/bin/python bench/cache_bench.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import numpy as np
from processes import free_port, start, wait_port

from appliance.cache.caches import Caches
from appliance.cache.keys import RequestIdentity, SemanticQuery, exact_key
from appliance.cache.semantic import SemanticCache
from appliance.cache.store import Entry, ExactStore, Limits
from appliance.pipeline.cache import CacheStep
from appliance.pipeline.context import Exchange, Reply
from appliance.pricing.prices import Pricer
from appliance.providers.openai import OpenAIFormat
from appliance.providers.usage import Usage
from appliance.semantic.embedder import PACKAGED_MODEL, Embedder
from appliance.semantic.index import NewEntry, SemanticIndex
from appliance.settings import Settings
from appliance.store.views import WorkspaceView

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MODEL = "gpt-4o-mini"
SYSTEM = {"role": "system", "content": "Answer in one sentence."}
QUESTION = "What is the capital of France?"
PARAPHRASES = (
    "What's the capital city of France?",
    "Tell me the capital of France.",
    "Which city is the capital of France?",
)
ENTRIES = 100_000


def body(text: str, system: dict = SYSTEM) -> bytes:
    messages = [system, {"role": "user", "content": text}]
    return json.dumps({"model": MODEL, "messages": messages}).encode()


@dataclass
class Optera:
    proc: subprocess.Popen
    url: str
    key: str


def start_optera(upstream: str, data: Path, semantic: bool) -> Optera:
    port, admin = free_port(), free_port()
    data.mkdir(parents=True)
    config = data / "optera.toml"
    config.write_text(
        "[burst]\nrate_per_second = 1000000000.0\ncapacity = 1000000000\n"
        '[server]\nlog_level = "WARNING"\n'
        f"[semantic]\nenabled = {str(semantic).lower()}\n"
        "[routing]\nenabled = false\n"
        "[compression]\npreamble = false\nrepetition = false\ntools = false\n"
        "images = false\nprovider_cache_breakpoints = false\n"
        "[leaks]\nenabled = false\n"
    )
    env = {
        "OPTERA_CONFIG": str(config),
        "OPTERA_DATA_DIR": str(data),
        "OPTERA_PORT": str(port),
        "OPTERA_ADMIN_PORT": str(admin),
        "OPTERA_OPENAI_BASE_URL": upstream + "/v1",
    }

    def cli(*args: str) -> dict:
        done = subprocess.run(
            [PY, "-m", "appliance.cli", *args, "--json"],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout)

    ws = cli(
        "workspace",
        "create",
        "--name",
        "bench",
        "--plan",
        "custom",
        "--quota",
        "1000000000",
    )
    cli("subscription", "activate", ws["id"])
    key = cli("key", "issue", ws["id"])["key"]
    proc = start([PY, "-m", "appliance.cli", "serve"], env)
    wait_port(port)
    return Optera(proc, f"http://127.0.0.1:{port}", key)


def report(label: str, seconds: list[float]) -> float:
    ms = sorted(s * 1000 for s in seconds)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"  {label:<48} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   (n={len(ms)})")
    return p50


async def timed(
    session: aiohttp.ClientSession, target: Optera, payloads: list[bytes], **extra: str
) -> tuple[list[float], dict[str, int]]:
    """Send each payload in turn; latencies and the count of each cache header."""
    headers = {
        "content-type": "application/json",
        "authorization": "Bearer sk-bench",
        "x-proxy-key": target.key,
        **extra,
    }
    url = target.url + "/v1/chat/completions"
    latencies: list[float] = []
    seen = {"exact": 0, "semantic": 0, "miss": 0}
    for payload in payloads:
        began = time.perf_counter()
        async with session.post(url, data=payload, headers=headers) as response:
            await response.read()
            assert response.status == 200, response.status
        latencies.append(time.perf_counter() - began)
        if response.headers.get("x-cache-hit") == "true":
            seen["exact"] += 1
        elif response.headers.get("x-semantic-cache-hit") == "true":
            seen["semantic"] += 1
        else:
            seen["miss"] += 1
    return latencies, seen


async def until_semantic_hit(session: aiohttp.ClientSession, target: Optera) -> None:
    for _ in range(200):
        _, seen = await timed(session, target, [body(PARAPHRASES[0])])
        if seen["semantic"]:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the paraphrase never became a semantic hit")


async def proxy_figures(upstream: str, tmp: Path, requests: int) -> None:
    plain = start_optera(upstream, tmp / "exact-only", semantic=False)
    near = start_optera(upstream, tmp / "semantic-on", semantic=True)
    try:
        async with aiohttp.ClientSession() as session:
            await timed(session, plain, [body(QUESTION)] * 200)
            lat, seen = await timed(session, plain, [body(QUESTION)] * requests)
            assert seen["exact"] == requests
            report("exact hit (semantic off)", lat)
            await timed(session, near, [body(QUESTION)] * 200)
            lat, seen = await timed(session, near, [body(QUESTION)] * requests)
            assert seen["exact"] == requests
            report("exact hit (semantic on)", lat)
            lat, _ = await timed(
                session, plain, [body(QUESTION)] * requests, **{"x-optera-cache": "off"}
            )
            report("no cache at all (x-optera-cache: off)", lat)

            await until_semantic_hit(session, near)
            paraphrases = [body(PARAPHRASES[i % 3]) for i in range(requests // 4)]
            await timed(session, near, paraphrases[:50])
            lat, seen = await timed(session, near, paraphrases)
            assert seen["semantic"] == len(paraphrases), seen
            report("semantic hit", lat)

            count = requests // 4
            fresh = [
                body(f"Question number {i} about {i * 7} apples?") for i in range(count)
            ]
            base = report("miss, semantic off", (await timed(session, plain, fresh))[0])
            scoped = [
                body(f"Question {i}?", {"role": "system", "content": f"System {i}"})
                for i in range(count)
            ]
            lat, _ = await timed(session, near, scoped)
            empty = report("miss, semantic on, scope with no entries", lat)
            crowded = [
                body(f"How many moons does planet {i} have?") for i in range(count)
            ]
            lat, seen = await timed(session, near, crowded)
            full = report("miss, semantic on, scope with entries", lat)
            print(
                f"  added by the semantic cache on a miss: {empty - base:+.2f} ms p50"
                f" (empty scope), {full - base:+.2f} ms p50 (scope with entries)"
            )
    finally:
        for target in (plain, near):
            target.proc.terminate()
            target.proc.wait(timeout=30)


def request_bodies(count: int) -> list[dict]:
    return [
        {
            "model": MODEL,
            "temperature": 0.2,
            "messages": [SYSTEM, {"role": "user", "content": f"Question {i}: why?"}],
        }
        for i in range(count)
    ]


def rate(label: str, work: Callable[[int], object], count: int) -> None:
    began = time.perf_counter()
    for i in range(count):
        work(i)
    elapsed = time.perf_counter() - began
    print(
        f"  {label:<48} {count / elapsed:12,.0f} /s   ({elapsed / count * 1e6:.1f} us)"
    )


def store_figures() -> None:
    store = ExactStore(None, Limits(ENTRIES, 10**10))
    bodies = request_bodies(ENTRIES)
    idents = [
        RequestIdentity("ws-1", "openai", "/v1/chat/completions", MODEL, b)
        for b in bodies
    ]
    keys = [exact_key(i) for i in idents]
    answer = b'{"id":"x","choices":[{"message":{"content":"Because."}}]}' * 8
    for key in keys:
        store.put(Entry(key, "ws-1", answer, Usage(12, 8), 0.0, 1e12))
    print(f"  exact store holds {len(store):,} entries ({store.bytes / 1e6:.0f} MB)")
    order = np.random.default_rng(1).integers(0, ENTRIES, 200_000)
    rate("store lookup (key known)", lambda i: store.get(keys[order[i]]), 200_000)
    rate(
        "key + lookup (canonical JSON, sha256)",
        lambda i: store.get(exact_key(idents[order[i]])),
        50_000,
    )


@dataclass
class ModelChoice:
    model: str = PACKAGED_MODEL
    model_path: str | None = None
    threads: int = 1


def exchange(payload: bytes) -> Exchange:
    ex = Exchange(
        request_id="req_bench",
        fmt=OpenAIFormat(),
        method="POST",
        path="/v1/chat/completions",
        query="",
        headers={},
        raw_body=payload,
        body=json.loads(payload),
    )
    ex.workspace = WorkspaceView("ws-1", "bench", "custom", 10**9, None, None, True)
    ex.original_model = MODEL
    return ex


async def upstream_stub(ex: Exchange) -> Reply:
    ex.outcome.status = 200
    ex.outcome.usage = Usage(12, 8)
    return Reply(status=200, body=b'{"id":"x","choices":[]}')


async def step_time(step: CacheStep, payloads: list[bytes]) -> list[float]:
    took = []
    for payload in payloads:
        ex = exchange(payload)
        began = time.perf_counter()
        await step(ex, upstream_stub)
        took.append(time.perf_counter() - began)
    return took


async def step_figures(tmp: Path, embedder: Embedder) -> None:
    """The cache step's own time, with an upstream that answers at once."""
    server = {"data_dir": str(tmp / "step")}
    off = Settings.model_validate({"server": server, "semantic": {"enabled": False}})
    plain = Caches.open(off, None)
    near = Caches.open(Settings.model_validate({"server": server}), None, embedder)
    assert near.semantic is not None
    for caches in (plain, near):
        caches.start()
    plain_step, near_step = CacheStep(plain, Pricer({})), CacheStep(near, Pricer({}))
    await step_time(plain_step, [body(QUESTION)])
    report(
        "cache step, exact hit", await step_time(plain_step, [body(QUESTION)] * 5000)
    )
    fresh = [body(f"Question {i} about {i * 7} apples?") for i in range(2000)]
    report("cache step, miss, semantic off", await step_time(plain_step, fresh))
    scoped = [
        body(f"Question {i}?", {"role": "system", "content": f"System {i}"})
        for i in range(2000)
    ]
    report(
        "cache step, miss, semantic on, empty scope", await step_time(near_step, scoped)
    )
    await near.semantic.flush()
    seeded = [body(f"How far is town {i} from the sea?") for i in range(50)]
    await step_time(near_step, seeded)
    await near.semantic.flush()
    crowded = [body(f"How many moons does planet {i} have?") for i in range(200)]
    report(
        "cache step, miss, semantic on, scope with entries",
        await step_time(near_step, crowded),
    )
    await near.semantic.flush()
    paraphrase = [body(PARAPHRASES[i % 3]) for i in range(200)]
    await step_time(near_step, [body(QUESTION)])
    await near.semantic.flush()
    report("cache step, semantic hit", await step_time(near_step, paraphrase))
    for caches in (plain, near):
        await caches.close()


async def semantic_figures(tmp: Path) -> None:
    embedder = Embedder(ModelChoice())
    embedder.warm()
    await step_figures(tmp, embedder)
    index = SemanticIndex.open(tmp / "vectors", embedder.dim)
    store = ExactStore(None, Limits(10, 10**8))
    cache = SemanticCache(embedder, index, store)
    rng = np.random.default_rng(7)
    for start_at in range(0, ENTRIES - 1_000, 10_000):
        size = min(10_000, ENTRIES - 1_000 - start_at)
        vectors = rng.normal(size=(size, embedder.dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        for row, vector in enumerate(vectors):
            n = start_at + row
            index.add(
                NewEntry(f"scope-{n % 1000}", "ws", vector, f"k{n}", f"t{n}", 3600)
            )
        index.flush()
    busy = [f"Question {i}: how far is city {i} from the sea?" for i in range(1_000)]
    for start_at in range(0, len(busy), 250):
        texts = busy[start_at : start_at + 250]
        for n, vector in enumerate(embedder.embed_sync(texts)):
            index.add(
                NewEntry("busy", "ws", vector, f"b{start_at + n}", texts[n], 3600)
            )
    index.flush()
    store.put(Entry("b0", "ws", b"{}", Usage(1, 1), 0.0, 1e12))
    index.optimize()
    print(f"  semantic index holds {index.count():,} rows; the busy scope 1,000")

    async def one(text: str) -> float:
        began = time.perf_counter()
        await cache.lookup(SemanticQuery("busy", text), 0.9)
        return time.perf_counter() - began

    await one("warm up")
    hits = [
        await one("Question 0: how far is city 0 from the sea?") for _ in range(100)
    ]
    report("semantic lookup, hit (embed + search + guards)", hits)
    misses = [await one(f"Is planet {i} bigger than the moon?") for i in range(100)]
    report("semantic lookup, miss in a scope of 1,000", misses)
    began = time.perf_counter()
    texts = [f"Is planet {i} bigger than the moon?" for i in range(400)]
    await asyncio.gather(*(one(t) for t in texts))
    per_second = 400 / (time.perf_counter() - began)
    print(f"  semantic lookups, 400 at once: {per_second:,.0f} /s")
    embedder.close()


async def proxy_part(tmp: Path, requests: int) -> None:
    up_port = free_port()
    upstream_proc = start([PY, "bench/upstream.py", str(up_port), "0"])
    wait_port(up_port)
    try:
        print("At the proxy (loopback HTTP, one request at a time):")
        await proxy_figures(f"http://127.0.0.1:{up_port}", tmp, requests)
    finally:
        upstream_proc.terminate()
        upstream_proc.wait(timeout=30)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--in-process-only", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="optera-cache-bench-"))
    if not args.in_process_only:
        await proxy_part(tmp, args.requests)
    print(f"In process, with {ENTRIES:,} entries:")
    store_figures()
    await semantic_figures(tmp)


if __name__ == "__main__":
    asyncio.run(main())
