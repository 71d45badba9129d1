"""The admin client against httpx.MockTransport: headers, parsing, errors, SSE."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from tui.client import AdminClient, ApiError, Unauthorized, Unreachable


def client_with(handler) -> AdminClient:  # type: ignore[no-untyped-def]
    return AdminClient(
        "http://admin.test/", lambda: "tok", httpx.MockTransport(handler)
    )


async def test_every_call_sends_the_bearer_token_under_the_api_prefix():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "ok"})

    client = client_with(handler)
    assert await client.health() == {"status": "ok"}
    assert seen[0].url == "http://admin.test/admin/v1/health"
    assert seen[0].headers["authorization"] == "Bearer tok"
    await client.aclose()


async def test_refused_token_raises_unauthorized_with_the_api_message():
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"error": {"message": "Invalid admin token.", "code": "unauthorized"}}
        return httpx.Response(401, json=body)

    with pytest.raises(Unauthorized) as caught:
        await client_with(handler).workspaces()
    assert caught.value.message == "Invalid admin token."
    assert caught.value.status == 401


async def test_api_refusal_keeps_status_code_and_message():
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"error": {"message": "A custom plan needs a quota.", "code": "invalid"}}
        return httpx.Response(400, json=body)

    with pytest.raises(ApiError) as caught:
        await client_with(handler).create_workspace("acme", "custom")
    assert not isinstance(caught.value, Unauthorized | Unreachable)
    assert (caught.value.status, caught.value.code) == (400, "invalid")
    assert caught.value.message == "A custom plan needs a quota."


async def test_error_without_json_body_names_the_status():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="bad gateway")

    with pytest.raises(ApiError, match="HTTP 502"):
        await client_with(handler).leaks()


async def test_connection_refused_raises_unreachable_naming_the_url():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    with pytest.raises(Unreachable, match=r"http://admin.test.*Connection refused"):
        await client_with(handler).workspaces()


async def test_missing_token_fails_before_any_request():
    calls = []

    def token() -> str:
        raise Unauthorized("Cannot read the admin token file /x: No such file")

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json=[])

    client = AdminClient("http://admin.test", token, httpx.MockTransport(handler))
    with pytest.raises(Unauthorized, match="token file"):
        await client.workspaces()
    assert calls == []


async def test_usage_summary_parses_money_as_exact_decimal_and_sends_iso_since():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {
            "requests": 3,
            "cost_usd": "0.00475",
            "cost_saved_usd": "0.1",
            "cache_hit_rate": 0.5,
            "by_optimization": {"routing": {"requests": 1, "tokens": 0, "usd": "0.1"}},
        }
        return httpx.Response(200, json=body)

    since = datetime(2025, 3, 1, tzinfo=UTC)
    summary = await client_with(handler).summary("ws_1", since=since)
    assert summary.cost_usd == Decimal("0.00475")
    assert summary.cost_saved_usd == Decimal("0.1")
    assert summary.requests == 3
    assert summary.by_optimization["routing"]["usd"] == "0.1"
    assert seen[0].url.params["since"] == "2025-03-01T00:00:00+00:00"
    assert seen[0].url.params["workspace"] == "ws_1"
    assert "until" not in seen[0].url.params


async def test_by_tag_rows_carry_the_tag_value_and_none_becomes_untagged():
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/admin/v1/usage/by/team"
        rows = [
            {"team": "backend", "requests": 2, "cost_saved_usd": "1.50"},
            {"team": None, "requests": 1, "cost_saved_usd": "0"},
        ]
        return httpx.Response(200, json=rows)

    rows = await client_with(handler).by_tag("team")
    assert [(row.tag, row.requests) for row in rows] == [
        ("backend", 2),
        ("(untagged)", 1),
    ]
    assert rows[0].cost_saved_usd == Decimal("1.50")


async def test_delete_workspace_sends_its_id_as_confirmation():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "ws_1", "deleted": True})

    await client_with(handler).delete_workspace("ws_1")
    assert seen[0].method == "DELETE"
    assert seen[0].url.params["confirm"] == "ws_1"


async def test_issued_key_holds_the_plaintext_and_rotate_sends_grace():
    bodies: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content or b"{}"))
        key = {"id": "key_2", "workspace_id": "ws_1", "prefix": "opk_ab", "live": True}
        return httpx.Response(200, json={**key, "key": "opk_ab_secret"})

    issued = await client_with(handler).rotate_key("key_1", 600)
    assert issued.plaintext == "opk_ab_secret"
    assert issued.key.prefix == "opk_ab"
    assert bodies == [{"grace_seconds": 600}]


async def test_event_stream_yields_request_events_and_skips_comments():
    stream = (
        b": connected\n\n"
        b": ping\n\n"
        b'event: request\ndata: {"request_id": "r1", "workspace_id": "ws_1", '
        b'"cost_saved_usd": "0.0041", "cache": "semantic", "status": 200}\n\n'
        b"event: other\ndata: {}\n\n"
        b'event: request\ndata: {"request_id": "r2", "cache": "miss"}\n\n'
    )

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer tok"
        return httpx.Response(200, content=stream)

    events = [event async for event in client_with(handler).events()]
    assert [event.request_id for event in events] == ["r1", "r2"]
    assert events[0].cost_saved_usd == Decimal("0.0041")
    assert events[0].cache_hit is True
    assert events[1].cache_hit is False


async def test_event_stream_refused_token_raises_unauthorized():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"message": "Missing admin token."}})

    with pytest.raises(Unauthorized, match="Missing admin token"):
        async for _ in client_with(handler).events():
            pass
