"""Exact cache latency at the proxy, and the exact store holding 100,000 entries.

Starts the bench upstream and Optera processes on loopback (compression,
routing and leak scans off, so the cache is what is measured) and drives them
one request at a time with aiohttp: an exact hit again and again (semantic
cache off, then on), no cache at all, and a miss. Then measures in process the
exact store with 100,000 entries and the cache step's own time. The semantic
cache's figures are in bench/semantic_bench.py, which uses `start_optera` and
`timed` from here.

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
from processes import free_port, start, wait_idle, wait_port

from appliance.cache.caches import Caches
from appliance.cache.keys import RequestIdentity, exact_key
from appliance.cache.store import Entry, ExactStore, Limits
from appliance.pipeline.cache import CacheStep
from appliance.pipeline.context import Exchange, Reply
from appliance.pricing.prices import Pricer
from appliance.providers.openai import OpenAIFormat
from appliance.providers.usage import Usage
from appliance.settings import Settings
from appliance.store.views import WorkspaceView

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MODEL = "gpt-4o-mini"
SYSTEM = {"role": "system", "content": "Answer in one sentence."}
QUESTION = "What is the capital of France?"
ENTRIES = 100_000


def body(text: str, system: dict = SYSTEM) -> bytes:
    messages = [system, {"role": "user", "content": text}]
    return json.dumps({"model": MODEL, "messages": messages}).encode()


@dataclass
class Optera:
    proc: subprocess.Popen
    url: str
    key: str


def start_optera(upstream: str, data: Path, semantic: bool, threads: int = 1) -> Optera:
    port, admin = free_port(), free_port()
    data.mkdir(parents=True)
    config = data / "optera.toml"
    config.write_text(
        "[burst]\nrate_per_second = 1000000000.0\ncapacity = 1000000000\n"
        '[server]\nlog_level = "WARNING"\n'
        f"[semantic]\nenabled = {str(semantic).lower()}\nthreads = {threads}\n"
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
    wait_idle([proc.pid])
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

            fresh = [
                body(f"Question number {i} about {i * 7} apples?")
                for i in range(requests // 4)
            ]
            report("miss, semantic off", (await timed(session, plain, fresh))[0])
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


async def step_figures(tmp: Path) -> None:
    """The cache step's own time, with an upstream that answers at once."""
    server = {"data_dir": str(tmp / "step")}
    off = Settings.model_validate({"server": server, "semantic": {"enabled": False}})
    plain = Caches.open(off, None)
    plain.start()
    step = CacheStep(plain, Pricer({}))
    await step_time(step, [body(QUESTION)])
    report("cache step, exact hit", await step_time(step, [body(QUESTION)] * 5000))
    fresh = [body(f"Question {i} about {i * 7} apples?") for i in range(2000)]
    report("cache step, miss", await step_time(step, fresh))
    await plain.close()


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
    await step_figures(tmp)


if __name__ == "__main__":
    asyncio.run(main())
