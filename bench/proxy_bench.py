"""Throughput and added latency of the proxy against the upstream and a bare relay.

Starts a fake upstream, a bare Litestar relay and Optera (each its own process,
all on loopback), then drives each with an aiohttp load generator.

Beside throughput and latency it prints the CPU time the serving process spent
per request (user + system, all its threads, from /proc): on a shared two-core
box that figure moves far less from run to run than requests per second, and
it is what bounds throughput once the CPU is the limit. For `direct` it is the
fake upstream's own.

    .venv/bin/python bench/proxy_bench.py [--seconds 3] [--conc 1,16,64,256]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from processes import cpu_seconds, free_port, start, wait_idle, wait_port

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}]}


def start_optera(
    upstream: str, data: Path, forward_only: bool
) -> tuple[subprocess.Popen, int, str]:
    port, admin = free_port(), free_port()
    config = data / "optera.toml"
    lines = [
        "[burst]\nrate_per_second = 1000000000.0\ncapacity = 1000000000\n",
        '[server]\nlog_level = "WARNING"\n',
    ]
    if forward_only:
        lines += [
            "[cache]\nexact_enabled = false\n",
            "[semantic]\nenabled = false\n",
            "[routing]\nenabled = false\n",
            "[compression]\npreamble = false\nrepetition = false\ntools = false\n"
            "images = false\nprovider_cache_breakpoints = false\n",
            "[leaks]\nenabled = false\n",
        ]
    config.write_text("".join(lines))
    env = {
        "OPTERA_CONFIG": str(config),
        "OPTERA_DATA_DIR": str(data),
        "OPTERA_PORT": str(port),
        "OPTERA_ADMIN_PORT": str(admin),
        "OPTERA_OPENAI_BASE_URL": upstream + "/v1",
    }
    cli = [PY, "-m", "appliance.cli"]

    def run(*command: str) -> dict:
        done = subprocess.run(
            [*cli, *command, "--json"],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout)

    ws = run(
        "workspace",
        "create",
        "--name",
        "bench",
        "--plan",
        "custom",
        "--quota",
        "1000000000",
    )
    run("subscription", "activate", ws["id"])
    key = run("key", "issue", ws["id"])["key"]
    proc = start([*cli, "serve"], env)
    wait_port(port)
    return proc, port, key


async def load(
    url: str, headers: dict, stream: bool, conc: int, seconds: float
) -> tuple[float, list[float], Counter[str]]:
    """Seconds taken, each request's latency, and the non-200 answers by
    status and error code (the `code` of the body's error)."""
    body = json.dumps({**BODY, "stream": True} if stream else BODY).encode()
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(limit=conc)
    async with aiohttp.ClientSession(connector=connector) as session:
        stop = time.monotonic() + seconds

        async def worker() -> None:
            while time.monotonic() < stop:
                began = time.perf_counter()
                async with session.post(
                    url,
                    data=body,
                    headers={"content-type": "application/json", **headers},
                ) as resp:
                    answer = await resp.read()
                    if resp.status != 200:
                        errors[f"{resp.status} {_code(answer)}"] += 1
                latencies.append(time.perf_counter() - began)

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(conc)))
        elapsed = time.monotonic() - began
    return elapsed, latencies, errors


def _code(answer: bytes) -> str:
    try:
        error = json.loads(answer).get("error") or {}
        return str(error.get("code") or error.get("type") or "")
    except (ValueError, AttributeError):
        return ""


def _errors(errors: Counter[str]) -> str:
    total = sum(errors.values())
    if not total:
        return "0"
    kinds = ", ".join(f"{kind} x{n}" for kind, n in errors.most_common())
    return f"{total} ({kinds})"


@dataclass
class Cell:
    """One target's figures in one cell, summed over its rounds."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def cpu_us(self) -> float:
        return self.cpu_seconds / max(len(self.latencies), 1) * 1e6

    def pct(self, q: float) -> float:
        return pct(self.latencies, q)


def measure(
    targets: dict[str, tuple[str, dict, int]],
    stream: bool,
    conc: int,
    seconds: float,
    rounds: int,
) -> dict[str, Cell]:
    """Every target at one stream setting and concurrency, in interleaved
    rounds (the order reversed every other round) after a warm-up each."""
    cells = {name: Cell() for name in targets}
    for base, headers, _ in targets.values():
        asyncio.run(load(base + "/v1/chat/completions", headers, stream, conc, 0.5))
    names = list(targets)
    for turn in range(rounds):
        for name in names if turn % 2 == 0 else names[::-1]:
            base, headers, pid = targets[name]
            cell = cells[name]
            cpu_before = cpu_seconds(pid)
            elapsed, lat, errors = asyncio.run(
                load(
                    base + "/v1/chat/completions",
                    headers,
                    stream,
                    conc,
                    seconds / rounds,
                )
            )
            cell.seconds += elapsed
            cell.cpu_seconds += cpu_seconds(pid) - cpu_before
            cell.latencies += lat
            cell.errors.update(errors)
    return cells


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--conc", default="1,16,64,256")
    parser.add_argument("--latencies", default="0,50")
    parser.add_argument("--transports", default="aiohttp")
    parser.add_argument(
        "--upstream-keepalive",
        type=int,
        default=75,
        help="seconds the fake upstream keeps an idle connection (see upstream.py)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="each cell's seconds are split into this many rounds, taking the "
        "targets in turn, so that a change in the machine's speed during the run "
        "lands on all of them alike",
    )
    args = parser.parse_args()
    concs = [int(c) for c in args.conc.split(",")]
    rows = []
    for latency in [float(x) for x in args.latencies.split(",")]:
        up_port = free_port()
        upstream_args = [str(up_port), str(latency), str(args.upstream_keepalive)]
        procs = [start([PY, "bench/upstream.py", *upstream_args])]
        wait_port(up_port)
        upstream = f"http://127.0.0.1:{up_port}"
        targets = {"direct": (upstream, {}, procs[0].pid)}
        for transport in args.transports.split(","):
            port = free_port()
            procs.append(
                start([PY, "bench/bare_relay.py", str(port), upstream, transport])
            )
            wait_port(port)
            targets[f"bare-{transport}"] = (
                f"http://127.0.0.1:{port}",
                {},
                procs[-1].pid,
            )
        tmp = Path(tempfile.mkdtemp(prefix="optera-bench-"))
        for name, forward_only in (("optera-forward", True), ("optera-all-on", False)):
            data = tmp / name
            data.mkdir()
            proc, port, key = start_optera(upstream, data, forward_only)
            procs.append(proc)
            targets[name] = (
                f"http://127.0.0.1:{port}",
                {"x-proxy-key": key, "x-optera-cache": "off"},
                proc.pid,
            )
        wait_idle([proc.pid for proc in procs])
        try:
            for stream in (False, True):
                for conc in concs:
                    cells = measure(targets, stream, conc, args.seconds, args.rounds)
                    for name, cell in cells.items():
                        rps, p50, p99 = cell.rps, cell.pct(0.5), cell.pct(0.99)
                        cpu_us = cell.cpu_us
                        rows.append(
                            (
                                latency,
                                stream,
                                conc,
                                name,
                                rps,
                                p50,
                                p99,
                                cell.errors,
                                cpu_us,
                            )
                        )
                        print(
                            f"upstream {latency:>3.0f} ms stream={stream!s:5} "
                            f"c={conc:<4} {name:15} {rps:8.0f} req/s  "
                            f"p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  "
                            f"cpu {cpu_us:5.0f} us/req  errors {_errors(cell.errors)}",
                            flush=True,
                        )
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=20)
    summary(rows)


def summary(rows: list[tuple]) -> None:
    print(
        "\n| upstream | stream | conc | target | req/s | % of bare | p50 ms "
        "| added p50 vs direct | p99 ms | CPU us/req | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    index = {(r[0], r[1], r[2], r[3]): r for r in rows}
    for r in rows:
        direct = index[(r[0], r[1], r[2], "direct")]
        bare = next(
            (
                v
                for k, v in index.items()
                if k[:3] == r[:3] and k[3].startswith("bare-")
            ),
            direct,
        )
        share = 100 * r[4] / bare[4] if bare[4] else 0
        print(
            f"| {r[0]:.0f} ms | {r[1]} | {r[2]} | {r[3]} | {r[4]:.0f} | {share:.0f}% "
            f"| {r[5]:.2f} | {r[5] - direct[5]:+.2f} | {r[6]:.2f} | {r[8]:.0f} "
            f"| {_errors(r[7])} |"
        )


if __name__ == "__main__":
    main()
