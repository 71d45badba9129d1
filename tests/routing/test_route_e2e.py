"""Routing through the whole appliance: the real SDK, the real router, exact dollars."""

from __future__ import annotations

import time
from decimal import Decimal

import openai


def wait_router(appliance) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 120
    while appliance.runtime.routers.router is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert appliance.runtime.routers.router is not None


def test_easy_prompt_goes_to_the_cheaper_model_and_the_saving_is_exact(
    appliance_factory,
):
    appliance = appliance_factory(
        routing={"enabled": True}, semantic={"enabled": False}
    )
    wait_router(appliance)
    _, key = appliance.workspace()
    appliance.upstream.openai_usage.update(prompt_tokens=1000, completion_tokens=500)
    appliance.upstream.openai_usage["prompt_tokens_details"]["cached_tokens"] = 0
    client = appliance.track(
        openai.OpenAI(
            api_key="sk-x",
            base_url=appliance.url + "/v1",
            default_headers={"x-proxy-key": key},
            max_retries=0,
        )
    )
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "What is the capital of France?"}],
    )
    assert raw.headers["x-model-routed"] == "gpt-4o-mini"
    assert raw.headers["x-original-model"] == "gpt-4o"
    assert appliance.upstream.seen[-1].body["model"] == "gpt-4o-mini"
    # gpt-4o: 1000 * 2.5 + 500 * 10 = 7500; gpt-4o-mini: 1000 * 0.15 + 500 * 0.6 = 450
    assert raw.headers["x-cost-saved-usd"] == "0.00705"
    appliance.flush()
    [record] = appliance.records()
    assert record.original_model == "gpt-4o"
    assert record.sent_model == "gpt-4o-mini"
    assert record.cost_usd == Decimal("0.00045")
    assert record.cost_saved_usd == Decimal("0.00705")
    assert record.savings["routing"]["usd"] == "0.00705"


def test_route_off_header_keeps_the_asked_model(appliance_factory):
    appliance = appliance_factory(
        routing={"enabled": True}, semantic={"enabled": False}
    )
    wait_router(appliance)
    _, key = appliance.workspace()
    client = appliance.track(
        openai.OpenAI(
            api_key="sk-x",
            base_url=appliance.url + "/v1",
            default_headers={"x-proxy-key": key, "x-optera-route": "off"},
            max_retries=0,
        )
    )
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "What is the capital of France?"}],
    )
    assert raw.headers["x-model-routed"] == "gpt-4o"
    assert appliance.upstream.seen[-1].body["model"] == "gpt-4o"
