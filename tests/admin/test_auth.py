"""The admin token: made once, 0600, required everywhere, never logged."""

from __future__ import annotations

import logging
import stat

from litestar.testing import TestClient

from appliance.admin.app import create_admin_app
from appliance.admin.auth import token_path
from appliance.runtime import Runtime
from tests.conftest import appliance_settings


def test_call_without_token_is_401_with_error_body(admin):
    response = admin.client.get("/admin/v1/workspaces")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"
    assert "Bearer" in response.json()["error"]["message"]


def test_wrong_token_and_wrong_scheme_are_401(admin):
    wrong = admin.client.get(
        "/admin/v1/health", headers={"authorization": "Bearer " + "x" * 43}
    )
    basic = admin.client.get(
        "/admin/v1/health", headers={"authorization": "Basic " + admin.token}
    )
    assert wrong.status_code == 401
    assert wrong.json() == {
        "error": {"message": "Invalid admin token.", "code": "unauthorized"}
    }
    assert basic.status_code == 401


def test_right_token_answers_health_with_version(admin):
    response = admin.call("GET", "/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "0.1.0"}


def test_token_file_is_0600_in_data_dir_and_kept_across_starts(tmp_path):
    settings = appliance_settings(tmp_path / "data", "http://127.0.0.1:9")
    runtime = Runtime.open(settings)
    create_admin_app(settings, runtime)
    path = token_path(settings)
    first = path.read_text().strip()
    create_admin_app(settings, runtime)
    assert path == tmp_path / "data" / "admin.token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 43
    assert path.read_text().strip() == first
    runtime.engine.dispose()


def test_configured_token_file_is_read_not_replaced(tmp_path):
    path = tmp_path / "etc" / "admin.token"
    path.parent.mkdir()
    path.write_text("operator-chosen-token\n")
    path.chmod(0o600)
    settings = appliance_settings(
        tmp_path / "data",
        "http://127.0.0.1:9",
        server={"admin_token_file": str(path)},
    )
    runtime = Runtime.open(settings)
    with TestClient(create_admin_app(settings, runtime)) as client:
        ok = client.get(
            "/admin/v1/health",
            headers={"authorization": "Bearer operator-chosen-token"},
        )
    assert ok.status_code == 200
    assert path.read_text() == "operator-chosen-token\n"
    assert not (tmp_path / "data" / "admin.token").exists()
    runtime.engine.dispose()


def test_token_never_appears_in_logs(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    settings = appliance_settings(tmp_path / "data", "http://127.0.0.1:9")
    runtime = Runtime.open(settings)
    app = create_admin_app(settings, runtime)
    token = token_path(settings).read_text().strip()
    with TestClient(app) as client:
        client.get("/admin/v1/health", headers={"authorization": f"Bearer {token}"})
        client.get("/admin/v1/health", headers={"authorization": "Bearer nope"})
    assert "admin token written to" in caplog.text
    assert token not in caplog.text
    runtime.engine.dispose()


def test_openapi_schema_needs_token_and_lists_every_endpoint(admin):
    assert admin.client.get("/schema/openapi.json").status_code == 401
    schema = admin.client.get(
        "/schema/openapi.json", headers={"authorization": f"Bearer {admin.token}"}
    ).json()
    paths = schema["paths"]
    expected = {
        "/admin/v1/health": {"get"},
        "/admin/v1/workspaces": {"get", "post"},
        "/admin/v1/workspaces/{workspace_id}": {"get", "patch", "delete"},
        "/admin/v1/workspaces/{workspace_id}/subscription": {"get"},
        "/admin/v1/workspaces/{workspace_id}/subscription/activate": {"post"},
        "/admin/v1/workspaces/{workspace_id}/subscription/cancel": {"post"},
        "/admin/v1/workspaces/{workspace_id}/keys": {"get", "post"},
        "/admin/v1/keys/{key_id}/rotate": {"post"},
        "/admin/v1/keys/{key_id}": {"delete"},
        "/admin/v1/workspaces/{workspace_id}/settings": {"get", "put"},
        "/admin/v1/usage/summary": {"get"},
        "/admin/v1/usage/by/{dimension}": {"get"},
        "/admin/v1/usage/series": {"get"},
        "/admin/v1/events": {"get"},
        "/admin/v1/leaks": {"get"},
        "/admin/v1/leaks/{finding_id}/resolve": {"post"},
        "/metrics": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
    assert "OptimizationPatch" in schema["components"]["schemas"]
    assert "UsageSummary" in schema["components"]["schemas"]
