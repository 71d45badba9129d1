"""Proxy keys through the admin API: issue once, list safely, rotate, revoke."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import openai

ASK = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}


def answers(stack, key: str) -> bool:  # type: ignore[no-untyped-def]
    try:
        stack.openai(key).chat.completions.create(**ASK)
    except openai.AuthenticationError:
        return False
    return True


def active_workspace(api) -> str:  # type: ignore[no-untyped-def]
    ws = api.post("/workspaces", json={"name": "acme"}).json()["id"]
    api.post(f"/workspaces/{ws}/subscription/activate")
    return ws


def test_issue_returns_plaintext_once_and_list_shows_prefix_only(admin):
    ws = admin.call("POST", "/workspaces", json={"name": "acme"}).json()["id"]
    issued = admin.call("POST", f"/workspaces/{ws}/keys", json={"name": "ci"})
    assert issued.status_code == 201
    body = issued.json()
    plaintext = body["key"]
    assert plaintext.startswith("opk_")
    assert body["prefix"] == plaintext[:12]
    assert (body["name"], body["live"], body["revoked"]) == ("ci", True, False)

    listing = admin.call("GET", f"/workspaces/{ws}/keys")
    [shown] = listing.json()
    assert shown["id"] == body["id"]
    assert shown["prefix"] == plaintext[:12]
    assert "key" not in shown
    assert "key_hash" not in shown
    assert plaintext not in listing.text
    assert plaintext[12:] not in listing.text
    assert set(shown) == {
        "id",
        "workspace_id",
        "prefix",
        "name",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked",
        "live",
    }


def test_revoked_key_gets_401_on_the_proxy_at_once(stack):
    with stack.admin() as api:
        ws = active_workspace(api)
        issued = api.post(f"/workspaces/{ws}/keys").json()
        assert answers(stack, issued["key"])
        revoked = api.delete(f"/keys/{issued['id']}")
        assert revoked.status_code == 200
        assert (revoked.json()["revoked"], revoked.json()["live"]) == (True, False)
        assert not answers(stack, issued["key"])


def test_rotation_keeps_old_key_working_through_the_grace_period(stack):
    with stack.admin() as api:
        ws = active_workspace(api)
        old = api.post(f"/workspaces/{ws}/keys", json={"name": "svc"}).json()
        assert answers(stack, old["key"])
        new = api.post(f"/keys/{old['id']}/rotate", json={})
        assert new.status_code == 201
        rotated = new.json()
        assert rotated["id"] != old["id"]
        assert rotated["key"] != old["key"]
        assert rotated["name"] == "svc"
        assert answers(stack, old["key"])
        assert answers(stack, rotated["key"])
        [old_row] = [
            k for k in api.get(f"/workspaces/{ws}/keys").json() if k["id"] == old["id"]
        ]
        expires = datetime.fromisoformat(old_row["expires_at"])
        expected = datetime.now(UTC) + timedelta(seconds=86_400)
        assert abs((expires - expected).total_seconds()) < 30


def test_rotation_grace_ends_and_zero_grace_ends_at_once(stack):
    with stack.admin() as api:
        ws = active_workspace(api)
        short = api.post(f"/workspaces/{ws}/keys").json()
        successor = api.post(f"/keys/{short['id']}/rotate", json={"grace_seconds": 1})
        assert answers(stack, short["key"])
        instant = api.post(f"/workspaces/{ws}/keys").json()
        assert answers(stack, instant["key"])
        api.post(f"/keys/{instant['id']}/rotate", json={"grace_seconds": 0})
        assert not answers(stack, instant["key"])
        # The proxy keeps a key lookup for up to 2 s, so allow that on top.
        time.sleep(3.2)
        assert not answers(stack, short["key"])
        assert answers(stack, successor.json()["key"])


def test_rotating_a_revoked_key_and_bad_grace_are_400(admin):
    ws = admin.call("POST", "/workspaces", json={"name": "acme"}).json()["id"]
    key = admin.call("POST", f"/workspaces/{ws}/keys").json()
    negative = admin.call(
        "POST", f"/keys/{key['id']}/rotate", json={"grace_seconds": -5}
    )
    assert negative.status_code == 400
    admin.call("DELETE", f"/keys/{key['id']}")
    refused = admin.call("POST", f"/keys/{key['id']}/rotate")
    assert refused.status_code == 400
    assert "revoked" in refused.json()["error"]["message"]
    missing = admin.call("DELETE", "/keys/key_nothere")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_keys_of_unknown_workspace_are_404(admin):
    assert admin.call("GET", "/workspaces/ws_nothere/keys").status_code == 404
    assert admin.call("POST", "/workspaces/ws_nothere/keys").status_code == 404
