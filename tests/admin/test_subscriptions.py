"""Subscriptions through the admin API, and their effect on the proxy at once."""

from __future__ import annotations

from datetime import UTC, datetime

import openai
import pytest


def test_subscription_activate_then_cancel(admin):
    ws = admin.call("POST", "/workspaces", json={"name": "acme"}).json()["id"]
    fresh = admin.call("GET", f"/workspaces/{ws}/subscription").json()
    assert fresh == {
        "workspace_id": ws,
        "status": "none",
        "started_at": None,
        "canceled_at": None,
        "period_start": None,
        "period_end": None,
    }

    active = admin.call("POST", f"/workspaces/{ws}/subscription/activate")
    assert active.status_code == 200
    now = datetime.now(UTC)
    body = active.json()
    assert body["status"] == "active"
    assert body["started_at"] is not None
    assert (
        body["period_start"] == datetime(now.year, now.month, 1, tzinfo=UTC).isoformat()
    )
    assert body["period_end"] > body["period_start"]

    canceled = admin.call("POST", f"/workspaces/{ws}/subscription/cancel").json()
    assert canceled["status"] == "canceled"
    assert canceled["canceled_at"] is not None
    assert canceled["period_start"] is None
    assert admin.call("GET", f"/workspaces/{ws}").json()["subscription"] == "canceled"


def test_cancel_without_subscription_is_400(admin):
    ws = admin.call("POST", "/workspaces", json={"name": "acme"}).json()["id"]
    response = admin.call("POST", f"/workspaces/{ws}/subscription/cancel")
    assert response.status_code == 400
    assert "no subscription" in response.json()["error"]["message"]


def test_subscription_change_applies_to_the_next_proxied_request(stack):
    with stack.admin() as api:
        ws = api.post("/workspaces", json={"name": "acme"}).json()["id"]
        key = api.post(f"/workspaces/{ws}/keys").json()["key"]
        client = stack.openai(key)
        ask = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}
        with pytest.raises(openai.APIStatusError) as refused:
            client.chat.completions.create(**ask)
        assert refused.value.status_code == 402

        api.post(f"/workspaces/{ws}/subscription/activate")
        assert client.chat.completions.create(**ask).choices[0].message.content

        api.post(f"/workspaces/{ws}/subscription/cancel")
        with pytest.raises(openai.APIStatusError) as canceled:
            client.chat.completions.create(**ask)
        assert canceled.value.status_code == 402
