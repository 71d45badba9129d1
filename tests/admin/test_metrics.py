"""Prometheus /metrics on the admin listener: figures, format, token."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
from litestar.testing import TestClient

from appliance.admin.app import create_admin_app
from appliance.admin.metrics import Metrics
from appliance.runtime import Runtime
from appliance.store.models import UsageRecord
from tests.conftest import appliance_settings

SAMPLE = re.compile(r'^[a-z_]+(\{([a-z_]+="[^"]*",?)+\})? -?[0-9.eE+-]+$')


def samples(text: str) -> dict[str, str]:
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    for line in lines:
        assert SAMPLE.match(line), line
    return dict(line.rsplit(" ", 1) for line in lines)


def test_counters_and_histogram_from_records():
    metrics = Metrics()
    metrics.observe(
        UsageRecord(
            request_id="a",
            status=200,
            latency_ms=3.0,
            tokens_saved=1500,
            cost_usd=Decimal("0"),
            cost_saved_usd=Decimal("0.0035"),
            cache="exact",
        )
    )
    metrics.observe(
        UsageRecord(
            request_id="b",
            status=200,
            latency_ms=300.0,
            cached_tokens=500,
            cost_usd=Decimal("0.001"),
            cost_saved_usd=Decimal("0.005"),
            cache="semantic",
            tokens_saved=700,
        )
    )
    metrics.observe(
        UsageRecord(
            request_id="c", status=504, latency_ms=7000.0, error_type="upstream_timeout"
        )
    )
    found = samples(metrics.render())
    assert found['optera_requests_total{status="200",cache="exact"}'] == "1"
    assert found['optera_requests_total{status="200",cache="semantic"}'] == "1"
    assert found['optera_requests_total{status="504",cache="miss"}'] == "1"
    assert found['optera_request_latency_seconds_bucket{le="0.005"}'] == "1"
    assert found['optera_request_latency_seconds_bucket{le="0.25"}'] == "1"
    assert found['optera_request_latency_seconds_bucket{le="0.5"}'] == "2"
    assert found['optera_request_latency_seconds_bucket{le="5.0"}'] == "2"
    assert found['optera_request_latency_seconds_bucket{le="10.0"}'] == "3"
    assert found['optera_request_latency_seconds_bucket{le="+Inf"}'] == "3"
    assert found["optera_request_latency_seconds_count"] == "3"
    assert abs(float(found["optera_request_latency_seconds_sum"]) - 7.303) < 1e-9
    assert found["optera_tokens_saved_total"] == "2200"
    assert Decimal(found["optera_cost_saved_usd_total"]) == Decimal("0.0085")
    assert Decimal(found["optera_cost_usd_total"]) == Decimal("0.001")
    assert found['optera_cache_hits_total{kind="exact"}'] == "1"
    assert found['optera_cache_hits_total{kind="semantic"}'] == "1"
    assert found['optera_cache_hits_total{kind="provider"}'] == "1"
    assert found['optera_upstream_errors_total{type="upstream_timeout"}'] == "1"
    assert found['optera_upstream_errors_total{type="upstream_error"}'] == "0"


def test_every_family_has_help_and_type():
    text = Metrics().render()
    for name, kind in [
        ("optera_requests_total", "counter"),
        ("optera_request_latency_seconds", "histogram"),
        ("optera_tokens_saved_total", "counter"),
        ("optera_cost_saved_usd_total", "counter"),
        ("optera_cache_hits_total", "counter"),
        ("optera_upstream_errors_total", "counter"),
    ]:
        assert f"# TYPE {name} {kind}\n" in text
        assert f"# HELP {name} " in text


def test_metrics_count_a_proxied_request_and_need_the_token(stack):
    with stack.admin() as api:
        ws = api.post("/workspaces", json={"name": "acme"}).json()["id"]
        api.post(f"/workspaces/{ws}/subscription/activate")
        key = api.post(f"/workspaces/{ws}/keys").json()["key"]
    stack.openai(key).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hi"}]
    )
    assert httpx.get(stack.admin_url + "/metrics").status_code == 401
    response = httpx.get(
        stack.admin_url + "/metrics",
        headers={"authorization": f"Bearer {stack.token}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = samples(response.text)
    assert found['optera_requests_total{status="200",cache="miss"}'] == "1"
    assert found["optera_request_latency_seconds_count"] == "1"


def test_metrics_open_without_token_when_configured(tmp_path):
    settings = appliance_settings(
        tmp_path, "http://127.0.0.1:9", server={"metrics_require_token": False}
    )
    runtime = Runtime.open(settings)
    with TestClient(create_admin_app(settings, runtime)) as client:
        assert client.get("/metrics").status_code == 200
        assert client.get("/admin/v1/health").status_code == 401
    runtime.engine.dispose()
