"""Workspaces through the admin API: lifecycle, plans, quota and burst limits."""

from __future__ import annotations

from datetime import UTC, datetime

import openai

from appliance.pipeline.quota import period_of


def create(admin, **body):  # type: ignore[no-untyped-def]
    response = admin.call("POST", "/workspaces", json={"name": "acme", **body})
    assert response.status_code == 201, response.text
    return response.json()


def test_workspace_lifecycle_create_list_rename_delete(admin):
    made = create(admin)
    assert made["id"].startswith("ws_")
    assert made["plan"] == "starter"
    assert made["quota"] == 100_000
    assert made["subscription"] == "none"
    assert made["quota_used"] == 0
    assert made["quota_remaining"] == 100_000

    listed = admin.call("GET", "/workspaces").json()
    assert [w["id"] for w in listed] == [made["id"]]
    assert admin.call("GET", "/workspaces/acme").json()["id"] == made["id"]

    renamed = admin.call("PATCH", f"/workspaces/{made['id']}", json={"name": "Acme"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Acme"
    assert renamed.json()["plan"] == "starter"

    refused = admin.call("DELETE", f"/workspaces/{made['id']}")
    assert refused.status_code == 400
    assert f"confirm={made['id']}" in refused.json()["error"]["message"]
    wrong = admin.call("DELETE", f"/workspaces/{made['id']}?confirm=ws_other")
    assert wrong.status_code == 400
    deleted = admin.call("DELETE", f"/workspaces/{made['id']}?confirm={made['id']}")
    assert deleted.status_code == 200
    assert deleted.json() == {"id": made["id"], "deleted": True}

    gone = admin.call("GET", f"/workspaces/{made['id']}")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "not_found"
    assert admin.call("GET", "/workspaces").json() == []


def test_plan_change_sets_quota_and_named_plan_drops_custom_quota(admin):
    ws = create(admin)["id"]
    growth = admin.call("PATCH", f"/workspaces/{ws}", json={"plan": "growth"}).json()
    assert (growth["plan"], growth["quota"]) == ("growth", 500_000)

    custom = admin.call(
        "PATCH", f"/workspaces/{ws}", json={"plan": "custom", "quota": 42}
    ).json()
    assert (custom["plan"], custom["quota"], custom["custom_quota"]) == (
        "custom",
        42,
        42,
    )
    raised = admin.call("PATCH", f"/workspaces/{ws}", json={"quota": 50}).json()
    assert (raised["plan"], raised["quota"]) == ("custom", 50)

    back = admin.call("PATCH", f"/workspaces/{ws}", json={"plan": "enterprise"}).json()
    assert (back["quota"], back["custom_quota"]) == (5_000_000, None)


def test_custom_plan_needs_a_quota(admin):
    ws = create(admin)["id"]
    refused = admin.call("PATCH", f"/workspaces/{ws}", json={"plan": "custom"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_request"
    made = admin.call(
        "POST", "/workspaces", json={"name": "b", "plan": "custom", "quota": 7}
    )
    assert made.status_code == 201
    assert made.json()["quota"] == 7
    missing = admin.call("POST", "/workspaces", json={"name": "c", "plan": "custom"})
    assert missing.status_code == 400


def test_burst_limit_set_and_cleared(admin):
    ws = create(admin)["id"]
    set_ = admin.call(
        "PATCH", f"/workspaces/{ws}", json={"burst_rate": 5, "burst_capacity": 20}
    ).json()
    assert (set_["burst_rate"], set_["burst_capacity"]) == (5.0, 20)
    cleared = admin.call("PATCH", f"/workspaces/{ws}", json={"burst_rate": None}).json()
    assert (cleared["burst_rate"], cleared["burst_capacity"]) == (None, 20)
    bad = admin.call("PATCH", f"/workspaces/{ws}", json={"burst_rate": 0})
    assert bad.status_code == 400


def test_bad_workspace_bodies_are_400(admin):
    for body in (
        {"name": ""},
        {"name": "x", "plan": "platinum"},
        {"name": "x", "quota": -1},
        {"name": "x", "extra": 1},
        {"plan": "starter"},
    ):
        response = admin.call("POST", "/workspaces", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "invalid_request"
    assert admin.call("GET", "/workspaces").json() == []


def test_quota_used_and_remaining_follow_the_live_count(admin):
    ws = create(admin, plan="custom", quota=10)["id"]
    period = period_of(datetime.now(UTC))
    admin.runtime.quota.take(ws, period, 10)
    admin.runtime.quota.take(ws, period, 10)
    shown = admin.call("GET", f"/workspaces/{ws}").json()
    assert (shown["quota"], shown["quota_used"], shown["quota_remaining"]) == (
        10,
        2,
        8,
    )
    assert shown["period"] == period


def test_workspace_settings_field_shows_flat_overrides(admin):
    ws = create(admin)["id"]
    admin.call(
        "PUT",
        f"/workspaces/{ws}/settings",
        json={"routing": False, "compression": {"images": False}},
    )
    shown = admin.call("GET", f"/workspaces/{ws}").json()
    assert shown["settings"] == {"routing": False, "compression": {"images": False}}


def test_quota_change_applies_to_the_next_proxied_request(stack):
    with stack.admin() as api:
        ws = api.post(
            "/workspaces", json={"name": "acme", "plan": "custom", "quota": 1}
        ).json()["id"]
        api.post(f"/workspaces/{ws}/subscription/activate")
        client = stack.openai(api.post(f"/workspaces/{ws}/keys").json()["key"])

        def ask(text: str) -> int:
            raw = client.chat.completions.with_raw_response
            try:
                raw.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
            except openai.APIStatusError as error:
                return error.status_code
            return 200

        assert ask("first") == 200
        assert ask("second") == 429
        api.patch(f"/workspaces/{ws}", json={"quota": 3})
        assert ask("third") == 200
        shown = api.get(f"/workspaces/{ws}").json()
        assert (shown["quota"], shown["quota_used"], shown["quota_remaining"]) == (
            3,
            2,
            1,
        )
