"""Prometheus metrics on the admin listener, counted from the usage records.

Written in the text exposition format by hand (no client library), fed by
the usage writer's listener; counters start at zero when the process starts.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from litestar import Response, get
from litestar.di import NamedDependency

from appliance.store.models import RecordView, UsageRecord

CONTENT_TYPE = "text/plain; version=0.0.4"
LATENCY_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
)
CACHE_KINDS = ("exact", "semantic", "provider")
UPSTREAM_ERRORS = ("upstream_error", "upstream_unreachable", "upstream_timeout")


class Metrics:
    """Counters and the latency histogram; `observe` may run on another thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str]] = Counter()
        self._buckets = [0] * len(LATENCY_BUCKETS)
        self._latency_sum = 0.0
        self._latency_count = 0
        self._tokens_saved = 0
        self._cost_saved = Decimal(0)
        self._cost = Decimal(0)
        self._hits: Counter[str] = Counter(dict.fromkeys(CACHE_KINDS, 0))
        self._upstream: Counter[str] = Counter(dict.fromkeys(UPSTREAM_ERRORS, 0))

    def observe(self, record: UsageRecord | RecordView) -> None:
        seconds = record.latency_ms / 1000
        with self._lock:
            self._requests[(str(record.status), record.cache)] += 1
            for index, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    self._buckets[index] += 1
            self._latency_sum += seconds
            self._latency_count += 1
            self._tokens_saved += record.tokens_saved
            self._cost_saved += record.cost_saved_usd
            self._cost += record.cost_usd
            if record.cache in ("exact", "semantic"):
                self._hits[record.cache] += 1
            if record.cached_tokens > 0:
                self._hits["provider"] += 1
            if record.error_type in UPSTREAM_ERRORS:
                self._upstream[record.error_type] += 1

    def render(self) -> str:
        with self._lock:
            lines = [
                *self._family_requests(),
                *self._family_latency(),
                *_family(
                    "optera_tokens_saved_total",
                    "counter",
                    "Tokens saved by every optimization.",
                    [("", self._tokens_saved)],
                ),
                *_family(
                    "optera_cost_saved_usd_total",
                    "counter",
                    "Dollars saved, against the raw request.",
                    [("", self._cost_saved)],
                ),
                *_family(
                    "optera_cost_usd_total",
                    "counter",
                    "Dollars spent upstream.",
                    [("", self._cost)],
                ),
                *_family(
                    "optera_cache_hits_total",
                    "counter",
                    "Cache answers (exact, semantic) and provider prompt-cache reads.",
                    [(_labels(kind=k), v) for k, v in sorted(self._hits.items())],
                ),
                *_family(
                    "optera_upstream_errors_total",
                    "counter",
                    "Upstream error answers, timeouts and unreachable upstreams.",
                    [(_labels(type=k), v) for k, v in sorted(self._upstream.items())],
                ),
            ]
        return "\n".join(lines) + "\n"

    def _family_requests(self) -> list[str]:
        samples = [
            (_labels(status=status, cache=cache), count)
            for (status, cache), count in sorted(self._requests.items())
        ]
        return _family(
            "optera_requests_total",
            "counter",
            "Proxied requests by status and cache result.",
            samples,
        )

    def _family_latency(self) -> list[str]:
        name = "optera_request_latency_seconds"
        lines = [
            f"# HELP {name} Time from request to the last byte of the answer.",
            f"# TYPE {name} histogram",
        ]
        for bound, count in zip(LATENCY_BUCKETS, self._buckets, strict=True):
            lines.append(f'{name}_bucket{{le="{bound}"}} {count}')
        lines.append(f'{name}_bucket{{le="+Inf"}} {self._latency_count}')
        lines.append(f"{name}_sum {self._latency_sum!r}")
        lines.append(f"{name}_count {self._latency_count}")
        return lines


def _family(
    name: str, kind: str, text: str, samples: Sequence[tuple[str, object]]
) -> list[str]:
    return [
        f"# HELP {name} {text}",
        f"# TYPE {name} {kind}",
        *(f"{name}{labels} {value}" for labels, value in samples),
    ]


def _labels(**values: str) -> str:
    pairs = ",".join(f'{k}="{_escape(v)}"' for k, v in values.items())
    return "{" + pairs + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@get("/metrics", opt={"metrics": True}, sync_to_thread=False, tags=["metrics"])
def metrics_endpoint(metrics: NamedDependency[Metrics]) -> Response[str]:
    """Prometheus text format; needs the admin token unless the config opens it."""
    return Response(metrics.render(), media_type=CONTENT_TYPE)
