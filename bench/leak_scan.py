"""Times one full leak scan over a large usage table.

Writes N usage records (default 1,000,000) into a fresh SQLite database with
executemany: ordinary chats over 50 workspaces, 20 features, 8 teams and 500
users, with a few leaks of each pattern mixed in, stored in time order as the
usage writer stores them. Then a child process runs one scan
and reports its duration, its peak memory and the findings by pattern.

Run: python bench/leak_scan.py [--records N] [--hours H] [--keep DIR]
     python bench/leak_scan.py --reuse DIR   (scan a kept database again)
`--hours` spreads the records over the last H hours; the default, 1, puts all
of them inside the scanned hour, the heaviest case for every detector.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from appliance.jobs.scan import run_scan
from appliance.settings import LeakSettings
from appliance.store.db import open_engine
from appliance.store.scan_queries import stored

COLUMNS = (
    "request_id, created_at, workspace_id, key_id, feature_tag, team_tag, user_tag,"
    " protocol, endpoint, original_model, sent_model, status, streamed, aborted,"
    " cache, error_type, latency_ms, prompt_tokens, completion_tokens, cached_tokens,"
    " cache_write_tokens, reasoning_tokens, cost_usd, raw_cost_usd, cost_saved_usd,"
    " tokens_saved, provider_cache_saved_usd, optimizations, savings, request_hash,"
    " conversation_hash"
)
STAGE = f"INSERT INTO staged ({COLUMNS}) VALUES ({', '.join(['?'] * 31)})"
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "claude-haiku-4-5")
CHUNK = 50_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--keep", help="write the database here and keep it")
    parser.add_argument("--reuse", help="scan a database written with --keep")
    parser.add_argument("--scan-only", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scan_only:
        scan_only(Path(args.scan_only), datetime.fromisoformat(args.now))
    elif args.reuse:
        data = Path(args.reuse)
        saved = (data / "bench.json").read_text().strip()
        measure(data, datetime.fromisoformat(saved))
    elif args.keep:
        write_and_measure(Path(args.keep), args.records, args.hours)
    else:
        with tempfile.TemporaryDirectory(prefix="leaks-") as scratch:
            write_and_measure(Path(scratch), args.records, args.hours)


def write_and_measure(data: Path, records: int, hours: float) -> None:
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    started = time.perf_counter()
    written = generate(data, records, hours, now)
    (data / "bench.json").write_text(now.isoformat())
    print(f"wrote {written:,} usage records in {time.perf_counter() - started:.1f}s")
    measure(data, now)


def measure(data: Path, now: datetime) -> None:
    child = subprocess.run(
        [sys.executable, __file__, "--scan-only", str(data), "--now", now.isoformat()],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(child.stdout)
    interval = LeakSettings().interval_seconds
    print(
        f"one scan: {report['seconds']:.1f}s wall, {report['cpu_seconds']:.1f}s CPU "
        f"(interval {interval}s); peak RSS {report['peak_rss_mb']:.0f} MB "
        f"({report['rss_before_mb']:.0f} MB before); findings {report['findings']}"
    )


def scan_only(data: Path, now: datetime) -> None:
    """The measured part, alone in its process so its memory is its own."""
    engine = open_engine(data)
    before = peak_rss_kb()
    started, cpu = time.perf_counter(), time.process_time()
    outcomes = run_scan(engine, LeakSettings(), now)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = peak_rss_kb()
    found = Counter(outcome.finding.pattern for outcome in outcomes)
    report = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": peak / 1024,
        "rss_before_mb": before / 1024,
        "findings": dict(sorted(found.items())),
    }
    print(json.dumps(report))


def peak_rss_kb() -> int:
    """This process's peak resident memory. Linux keeps ru_maxrss across exec
    (it would report the parent's peak), so the kernel's VmHWM is read first."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def generate(data: Path, records: int, hours: float, now: datetime) -> int:
    """Stage the records, then store them in time order, as the usage writer does."""
    engine = open_engine(data)
    written = 0
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TEMP TABLE staged AS SELECT * FROM usagerecord WHERE 0"
        )
        batch: list[tuple] = []
        for row in Traffic(records, hours, now).rows():
            batch.append(row)
            if len(batch) >= CHUNK:
                connection.exec_driver_sql(STAGE, batch)
                written += len(batch)
                batch = []
        if batch:
            connection.exec_driver_sql(STAGE, batch)
            written += len(batch)
        connection.exec_driver_sql(
            f"INSERT INTO usagerecord ({COLUMNS}) SELECT {COLUMNS} FROM staged"
            " ORDER BY created_at"
        )
    engine.dispose()
    return written


class Traffic:
    """Ordinary chats, plus a few leaks of every pattern in the last hour."""

    def __init__(self, records: int, hours: float, now: datetime) -> None:
        self.records = records
        self.rng = random.Random(1)
        self.end = now.replace(second=0) - timedelta(minutes=1)
        self.start = self.end - timedelta(hours=hours)
        self.serial = 0

    def rows(self) -> Iterator[tuple]:
        leaks = list(self._leaks())
        ordinary = self.records - len(leaks)
        yield from leaks
        chat = 0
        while ordinary > 0:
            chat += 1
            turns = min(ordinary, self.rng.randint(1, 6))
            ordinary -= turns
            yield from self._chat(chat, turns)

    def _chat(self, chat: int, turns: int) -> Iterator[tuple]:
        rng = self.rng
        span = (self.end - self.start).total_seconds()
        at = self.start + timedelta(seconds=rng.uniform(0, span))
        workspace = f"ws_{chat % 50:02d}"
        tags = (f"feature{chat % 20}", f"team{chat % 8}", f"user{chat % 500}")
        prompt = rng.randint(200, 3000)
        for turn in range(turns):
            yield self._row(
                at, workspace, tags, prompt, rng.randint(20, 600), f"c{chat}", turn
            )
            at = min(self.end, at + timedelta(seconds=rng.uniform(20, 240)))
            prompt += rng.randint(50, 400)

    def _leaks(self) -> Iterator[tuple]:
        late = self.end - timedelta(minutes=30)
        tags = ("leaky", "team0", "user0")
        for n in range(20):
            for turn in range(12):
                at = late + timedelta(minutes=turn, seconds=n)
                yield self._row(at, "ws_00", tags, 1000 * (turn + 1), 50, f"g{n}", turn)
        for n in range(15):
            at = late + timedelta(seconds=3 * n)
            yield self._row(at, "ws_01", tags, 2000, 80, "loop", n, body="loop")
        for n in range(4):
            at = late + timedelta(minutes=5, seconds=20 * n)
            yield self._row(at, "ws_02", tags, 900, 100, "retry", 0, body="retry")
        for n in range(5):
            at = late + timedelta(minutes=8 + n)
            yield self._row(at, "ws_03", tags, 110_000, 30, f"o{n}", 0, model="gpt-4o")
        for n in range(150):
            at = late + timedelta(minutes=14, seconds=n * 0.3)
            yield self._row(
                at, "ws_04", tags, 0, 0, f"e{n}", 0, status=503, model="gpt-4o-mini"
            )
        yield from self._spike(late)

    def _spike(self, late: datetime) -> Iterator[tuple]:
        """A feature costing $0.06 an hour for a day, then $15 in half an hour."""
        tags = ("spiky", "team1", "user1")
        for hour in range(24):
            at = self.end - timedelta(hours=hour + 1, minutes=30)
            yield self._row(at, "ws_05", tags, 10_000, 2000, f"s{hour}", 0, usd="0.06")
        for n in range(30):
            at = late + timedelta(minutes=n)
            yield self._row(at, "ws_05", tags, 10_000, 2000, f"t{n}", 0, usd="0.50")

    def _row(
        self,
        at: datetime,
        workspace: str,
        tags: tuple[str, str, str],
        prompt: int,
        completion: int,
        conversation: str,
        turn: int,
        *,
        body: str | None = None,
        model: str | None = None,
        status: int | None = None,
        usd: str | None = None,
    ) -> tuple:
        self.serial += 1
        model = model or MODELS[zlib.crc32(conversation.encode()) % len(MODELS)]
        if status is None:
            status = 502 if self.rng.random() < 0.01 else 200
        error = None if status < 400 else "upstream_error"
        if error:
            prompt = completion = 0
        cost = usd or f"{(prompt * 3 + completion * 15) / 1_000_000:.8f}"
        request = body or f"{conversation}/{turn}"
        return (
            f"req_{self.serial:08d}", stored(at), workspace, f"key_{workspace}",
            *tags, "openai", "/v1/chat/completions", model, model, status, 0, 0,
            "miss", error, 500.0, prompt, completion, 0, 0, 0, cost, cost, "0", 0,
            "0", "", "{}", _digest(request), _digest(conversation),
        )  # fmt: skip


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


if __name__ == "__main__":
    main()
