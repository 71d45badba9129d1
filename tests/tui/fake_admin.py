"""A fake admin API behind httpx.MockTransport, with fixed data for stable screens.

Tests read and change its state directly, push live events onto its stream,
take it down (connection refused) or change the token it accepts.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx

TOKEN = "admin-secret"
URL = "http://admin.test:8081"
NOW = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)
TODAY = NOW.replace(hour=0, minute=0)
MONTH = TODAY.replace(day=1)

DEFAULT_SETTINGS: dict[str, Any] = {
    "exact_cache": True,
    "semantic_cache": True,
    "semantic_threshold": 0.9,
    "routing": True,
    "route_overrides": {},
    "compression": {
        "preamble": True,
        "repetition": True,
        "summarize": False,
        "tools": True,
        "images": True,
        "provider_cache_breakpoints": True,
    },
    "cache_ttl_seconds": 86400,
    "store_prompts": False,
}


def workspace(ident: str, name: str, plan: str, **extra: Any) -> dict[str, Any]:
    quota = {"starter": 100_000, "growth": 500_000, "enterprise": 5_000_000}
    row = {
        "id": ident,
        "name": name,
        "plan": plan,
        "quota": quota.get(plan, extra.get("custom_quota") or 0),
        "custom_quota": None,
        "burst_rate": None,
        "burst_capacity": None,
        "subscription": "active",
        "subscription_started_at": "2025-01-02T09:00:00+00:00",
        "settings": {},
        "created_at": "2025-01-02T08:55:00+00:00",
        "quota_used": 0,
        "quota_remaining": 0,
    }
    row.update(extra)
    row["quota_remaining"] = max(0, row["quota"] - row["quota_used"])
    return row


def key(ident: str, ws: str, prefix: str, **extra: Any) -> dict[str, Any]:
    row = {
        "id": ident,
        "workspace_id": ws,
        "prefix": prefix,
        "name": None,
        "created_at": "2025-01-02T09:01:00+00:00",
        "last_used_at": "2025-03-14T15:29:00+00:00",
        "expires_at": None,
        "revoked": False,
        "live": True,
    }
    row.update(extra)
    return row


def tag_row(kind: str, tag: str | None, requests: int, saved: str, **extra: Any):  # type: ignore[no-untyped-def]
    row = {
        kind: tag,
        "requests": requests,
        "prompt_tokens": requests * 1200,
        "completion_tokens": requests * 300,
        "tokens_saved": requests * 150,
        "cost_usd": "1.25",
        "raw_cost_usd": str(1.25 + float(saved)),
        "cost_saved_usd": saved,
        "cache_hits": requests // 4,
    }
    row.update(extra)
    return row


def step(requests: int, tokens: int, usd: str) -> dict[str, Any]:
    return {"requests": requests, "tokens": tokens, "usd": usd}


def summary(requests: int, cost: str, saved: str, exact: float, semantic: float):  # type: ignore[no-untyped-def]
    return {
        "requests": requests,
        "prompt_tokens": requests * 1200,
        "completion_tokens": requests * 300,
        "cost_usd": cost,
        "raw_cost_usd": str(float(cost) + float(saved)),
        "cost_saved_usd": saved,
        "tokens_saved": requests * 150,
        "cache_hit_rate": exact,
        "semantic_hit_rate": semantic,
        "by_optimization": {
            "exact_cache": step(requests // 5, requests * 60, "12.50"),
            "semantic_cache": step(requests // 20, requests * 15, "3.10"),
            "routing": step(requests // 3, 0, "20.00"),
            "preamble": step(requests // 2, requests * 40, "1.75"),
        },
    }


def leak(ident: int, pattern: str, usd: str, status: str = "open", **extra: Any):  # type: ignore[no-untyped-def]
    row = {
        "id": ident,
        "workspace_id": "ws_acme",
        "pattern": pattern,
        "feature_tag": "chat",
        "team_tag": None,
        "user_tag": None,
        "window_start": "2025-03-14T14:00:00+00:00",
        "window_end": "2025-03-14T15:00:00+00:00",
        "count": 240,
        "tokens_wasted": 96000,
        "usd_wasted": usd,
        "evidence": [{"request_id": "req_1", "prompt_hash": "ab12"}],
        "status": status,
        "first_seen": "2025-03-14T14:02:00+00:00",
        "last_seen": "2025-03-14T14:58:00+00:00",
    }
    row.update(extra)
    return row


def event(**extra: Any) -> dict[str, Any]:
    row = {
        "request_id": "req_live_1",
        "time": "2025-03-14T15:30:05+00:00",
        "workspace_id": "ws_acme",
        "key_id": "key_a1",
        "feature_tag": "chat",
        "team_tag": "backend",
        "user_tag": "u-7",
        "model": "gpt-4o-mini",
        "original_model": "gpt-4o",
        "status": 200,
        "cache": "miss",
        "prompt_tokens": 1200,
        "completion_tokens": 300,
        "tokens_saved": 100,
        "cost_usd": "0.0009",
        "cost_saved_usd": "0.0041",
        "latency_ms": 412.0,
        "optimizations": ["routing"],
    }
    row.update(extra)
    return row


class FakeAdmin:
    def __init__(self) -> None:
        self.token = TOKEN
        self.down = False
        self.calls: list[tuple[str, str, Any]] = []
        self.events: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.streams = 0
        self.workspaces = {
            row["id"]: row
            for row in (
                workspace("ws_acme", "acme", "growth", quota_used=123_456),
                workspace(
                    "ws_globex",
                    "globex",
                    "starter",
                    subscription="none",
                    subscription_started_at=None,
                    settings={"semantic_cache": False},
                ),
                workspace(
                    "ws_initech",
                    "initech",
                    "custom",
                    custom_quota=20_000,
                    quota=20_000,
                    quota_used=19_500,
                    burst_rate=5.0,
                    burst_capacity=20,
                    subscription="canceled",
                ),
            )
        }
        self.keys = {
            row["id"]: row
            for row in (
                key("key_a1", "ws_acme", "opk_a1b2", name="backend"),
                key(
                    "key_a0",
                    "ws_acme",
                    "opk_9f8e",
                    revoked=True,
                    live=False,
                    last_used_at=None,
                ),
            )
        }
        self.leaks = {
            row["id"]: row
            for row in (
                leak(1, "retry_storm", "14.20"),
                leak(2, "identical_prompts", "3.05", feature_tag="search", count=88),
                leak(3, "oversized_context", "40.00", status="resolved"),
            )
        }
        self.issued = 0

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def push(self, **extra: Any) -> None:
        self.events.put_nowait(event(**extra))

    def settings_of(self, ws: str) -> dict[str, Any]:
        settings = copy.deepcopy(DEFAULT_SETTINGS)
        for name, value in self.workspaces[ws]["settings"].items():
            if isinstance(value, dict):
                settings[name].update(value)
            else:
                settings[name] = value
        return {**settings, "overrides": self.workspaces[ws]["settings"]}

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("Connection refused", request=request)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return error(401, "Invalid admin token.", "unauthorized")
        path = request.url.path.removeprefix("/admin/v1")
        body = json.loads(request.content) if request.content else None
        query = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
        self.calls.append((request.method, path, body if body is not None else query))
        return self.route(request.method, path.strip("/").split("/"), body, query)

    def route(
        self, method: str, parts: list[str], body: Any, query: dict[str, str]
    ) -> httpx.Response:
        match method, parts:
            case "GET", ["health"]:
                return ok({"status": "ok", "version": "0.1.0"})
            case "GET", ["workspaces"]:
                return ok(list(self.workspaces.values()))
            case "POST", ["workspaces"]:
                ident = f"ws_{body['name']}"
                self.workspaces[ident] = workspace(
                    ident, body["name"], body["plan"], subscription="none"
                )
                return ok(self.workspaces[ident])
            case "PATCH", ["workspaces", ws]:
                self.workspaces[ws].update(body)
                return ok(self.workspaces[ws])
            case "DELETE", ["workspaces", ws] if query.get("confirm") == ws:
                del self.workspaces[ws]
                return ok({"id": ws, "deleted": True})
            case "POST", ["workspaces", ws, "subscription", action]:
                status = "active" if action == "activate" else "canceled"
                self.workspaces[ws]["subscription"] = status
                return ok({"workspace_id": ws, "status": status})
            case "GET", ["workspaces", ws, "settings"]:
                return ok(self.settings_of(ws))
            case "PUT", ["workspaces", ws, "settings"]:
                stored = self.workspaces[ws]["settings"]
                for name, value in body.items():
                    if isinstance(value, dict):
                        stored.setdefault(name, {}).update(value)
                    else:
                        stored[name] = value
                return ok(self.settings_of(ws))
            case "GET", ["workspaces", ws, "keys"]:
                return ok([k for k in self.keys.values() if k["workspace_id"] == ws])
            case "POST", ["workspaces", ws, "keys"]:
                return ok(self.issue(ws))
            case "POST", ["keys", ident, "rotate"]:
                old = self.keys[ident]
                grace = NOW + timedelta(seconds=body["grace_seconds"])
                old["expires_at"] = grace.isoformat()
                return ok(self.issue(old["workspace_id"]))
            case "DELETE", ["keys", ident]:
                self.keys[ident].update(revoked=True, live=False)
                return ok(self.keys[ident])
            case "GET", ["usage", "summary"]:
                return ok(self.summary(query))
            case "GET", ["usage", "by", kind]:
                return ok(self.by_tag(kind))
            case "GET", ["usage", "series"]:
                return ok(self.series(query.get("bucket", "hour")))
            case "GET", ["events"]:
                self.streams += 1
                headers = {"content-type": "text/event-stream"}
                return httpx.Response(200, headers=headers, content=self.stream())
            case "GET", ["leaks"]:
                wanted = query.get("status", "open")
                rows = [
                    r for r in self.leaks.values() if wanted in ("all", r["status"])
                ]
                return ok(rows)
            case "POST", ["leaks", ident, "resolve"]:
                self.leaks[int(ident)]["status"] = "resolved"
                return ok(self.leaks[int(ident)])
        return error(404, f"no route {method} {'/'.join(parts)}", "not_found")

    def issue(self, ws: str) -> dict[str, Any]:
        self.issued += 1
        ident = f"key_new{self.issued}"
        row = key(ident, ws, f"opk_new{self.issued}", last_used_at=None)
        self.keys[ident] = row
        return {**row, "key": f"opk_new{self.issued}_PLAINTEXT_SHOWN_ONCE"}

    def summary(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("since", "").startswith(TODAY.date().isoformat()):
            return summary(1_204, "3.40", "5.85", 0.21, 0.04)
        return summary(31_877, "88.12", "37.35", 0.18, 0.05)

    def by_tag(self, kind: str) -> list[dict[str, Any]]:
        tags = {
            "feature": [
                ("chat", 900, "20.10"),
                ("search", 300, "9.00"),
                (None, 4, "0"),
            ],
            "team": [("backend", 1000, "25.00"), ("data", 204, "4.10")],
            "user": [("u-7", 600, "12.00"), ("u-9", 604, "11.20")],
        }[kind]
        return [tag_row(kind, tag, requests, saved) for tag, requests, saved in tags]

    def series(self, bucket: str) -> list[dict[str, Any]]:
        step = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1)}.get(
            bucket, timedelta(days=1)
        )
        points = []
        for index in range(24):
            saved = (index % 6) * 0.25 + (index // 6) * 0.5
            points.append(
                {
                    "t": (NOW - step * (24 - index)).isoformat(),
                    "requests": 50 + index,
                    "cost_usd": "0.10",
                    "cost_saved_usd": f"{saved:.2f}",
                    "tokens_saved": index * 10,
                }
            )
        return points

    async def stream(self) -> AsyncIterator[bytes]:
        yield b": connected\n\n"
        while True:
            item = await self.events.get()
            if item is None:
                return
            yield b"event: request\ndata: " + json.dumps(item).encode() + b"\n\n"


def ok(body: Any) -> httpx.Response:
    return httpx.Response(200, json=body)


def error(status: int, message: str, code: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": message, "code": code}})
