"""The route step: rewrites the model, keeps the asked one, retries once on a
provider error, and leaves the dollar saving to the account step."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from appliance.pipeline.account import AccountStep
from appliance.pipeline.context import Exchange, Reply
from appliance.pipeline.route import RouteStep
from appliance.pricing.prices import Pricer
from appliance.providers.usage import Usage
from appliance.proxy.headers import savings_headers
from appliance.routing.router import Router
from appliance.semantic.embedder import Embedder
from appliance.settings import RoutingSettings
from tests.routing.conftest import EASY, HARD, chat, exchange, messages

OK = Reply(status=200, body=b'{"id": "chatcmpl-1"}')


class Upstream:
    """A fake rest of the pipeline: answers with the replies it is given, in
    order, and remembers the model of every call."""

    def __init__(self, *replies: Reply, usage: Usage | None = None) -> None:
        self.replies = list(replies)
        self.models: list[str | None] = []
        self.usage = usage

    async def __call__(self, ex: Exchange) -> Reply:
        self.models.append(ex.model)
        reply = self.replies.pop(0)
        ex.outcome.status = reply.status
        if reply.status >= 400:
            ex.outcome.error_type = "upstream_error"
        else:
            ex.outcome.usage = self.usage
        return reply


def error(status: int, message: str) -> Reply:
    body = {"error": {"message": message, "type": "invalid_request_error"}}
    return Reply(status=status, body=json.dumps(body).encode())


@pytest.fixture
def step(router: Router, embedder: Embedder) -> RouteStep:
    return RouteStep(router, embedder, RoutingSettings(enabled=True, threshold=0.8))


async def test_easy_request_goes_to_the_cheaper_model(step: RouteStep):
    ex = exchange(chat("gpt-4o-2024-08-06", EASY))
    upstream = Upstream(OK)
    reply = await step(ex, upstream)
    assert reply is OK
    assert upstream.models == ["gpt-4o-mini"]
    assert ex.body is not None and ex.body["model"] == "gpt-4o-mini"
    assert ex.body_changed is True
    assert ex.original_model == "gpt-4o-2024-08-06"
    assert ex.savings.routed is True
    detail = ex.savings.steps["routing"].detail
    assert (detail["from"], detail["to"]) == ("gpt-4o-2024-08-06", "gpt-4o-mini")
    assert 0.8 <= detail["score"] <= 1


async def test_hard_request_stays_on_the_asked_model(step: RouteStep):
    ex = exchange(chat("gpt-4o", HARD))
    upstream = Upstream(OK)
    await step(ex, upstream)
    assert upstream.models == ["gpt-4o"]
    assert ex.savings.routed is False
    assert "routing" not in ex.savings.steps
    assert ex.body_changed is False


async def test_anthropic_request_goes_to_haiku(step: RouteStep):
    ex = exchange(messages("claude-sonnet-4-5-20250929", EASY))
    upstream = Upstream(OK)
    await step(ex, upstream)
    assert upstream.models == ["claude-haiku-4-5"]


async def test_threshold_is_the_cost_quality_knob(router: Router, embedder: Embedder):
    body = chat("gpt-4o", "Summarize this voicemail in one line: 'Your car is ready.'")
    candidate = router.candidate("openai", body, {})
    assert candidate is not None
    score = router.verdict(candidate, await embedder.embed(candidate.text)).easiness
    assert 0 < score < 1
    for threshold, routed in ((score - 0.01, True), (score + 0.01, False)):
        step = RouteStep(router, embedder, RoutingSettings(threshold=threshold))
        ex = exchange(dict(body))
        await step(ex, Upstream(OK))
        assert ex.savings.routed is routed


async def test_route_off_header_keeps_the_asked_model(step: RouteStep):
    ex = exchange(chat("gpt-4o", EASY), controls={"route": "off"})
    upstream = Upstream(OK)
    await step(ex, upstream)
    assert upstream.models == ["gpt-4o"]
    assert ex.savings.routed is False


async def test_routing_disabled_in_settings_keeps_the_asked_model(
    router: Router, embedder: Embedder
):
    step = RouteStep(router, embedder, RoutingSettings(enabled=False))
    upstream = Upstream(OK)
    await step(exchange(chat("gpt-4o", EASY)), upstream)
    assert upstream.models == ["gpt-4o"]


async def test_workspace_override_off_keeps_the_asked_model(step: RouteStep):
    workspace = {"routing": {"overrides": {"gpt-4o": "off"}}}
    ex = exchange(chat("gpt-4o", EASY), workspace=workspace)
    upstream = Upstream(OK)
    await step(ex, upstream)
    assert upstream.models == ["gpt-4o"]


async def test_provider_error_on_the_cheaper_model_retries_the_asked_one(
    step: RouteStep,
):
    ex = exchange(chat("gpt-4o", EASY))
    refused = error(400, "Unsupported parameter: 'prediction'")
    upstream = Upstream(refused, OK)
    reply = await step(ex, upstream)
    assert reply is OK
    assert upstream.models == ["gpt-4o-mini", "gpt-4o"]
    assert ex.body is not None and ex.body["model"] == "gpt-4o"
    assert ex.savings.routed is False
    detail = ex.savings.steps["routing"].detail
    assert detail["retried"] is True
    assert detail["to"] == "gpt-4o-mini"
    assert ex.outcome.status == 200
    assert ex.outcome.error_type is None


async def test_model_not_found_is_retried(step: RouteStep):
    upstream = Upstream(error(404, "The model does not exist"), OK)
    await step(exchange(chat("gpt-4o", EASY)), upstream)
    assert upstream.models == ["gpt-4o-mini", "gpt-4o"]


@pytest.mark.parametrize("status", [401, 403, 429, 500, 503])
async def test_auth_rate_limit_and_server_errors_are_not_retried(
    step: RouteStep, status: int
):
    ex = exchange(chat("gpt-4o", EASY))
    upstream = Upstream(error(status, "no"), OK)
    reply = await step(ex, upstream)
    assert reply.status == status
    assert upstream.models == ["gpt-4o-mini"]
    assert ex.savings.routed is True


async def test_retry_happens_once_only(step: RouteStep):
    upstream = Upstream(error(400, "bad"), error(400, "still bad"))
    reply = await step(exchange(chat("gpt-4o", EASY)), upstream)
    assert reply.status == 400
    assert upstream.models == ["gpt-4o-mini", "gpt-4o"]


def account(ex: Exchange) -> AccountStep:
    step = AccountStep(Pricer({}), writer=None, store_prompts=False)  # type: ignore[arg-type]
    step.price(ex)
    return step


async def test_saving_is_the_price_difference_on_the_real_tokens(step: RouteStep):
    ex = exchange(chat("gpt-4o", EASY))
    await step(ex, Upstream(OK, usage=Usage(input_tokens=1000, output_tokens=500)))
    account(ex)
    # gpt-4o: 1000 x $2.50/M + 500 x $10/M; gpt-4o-mini: $0.15/M and $0.60/M
    assert ex.raw_cost_usd == Decimal("0.0075")
    assert ex.cost_usd == Decimal("0.00045")
    assert ex.savings.steps["routing"].usd == Decimal("0.00705")
    headers = savings_headers(ex)
    assert headers["X-Model-Routed"] == "gpt-4o-mini"
    assert headers["X-Original-Model"] == "gpt-4o"
    assert headers["X-Cost-Saved-USD"] == "0.00705"


async def test_retried_request_saves_nothing_and_names_the_asked_model(
    step: RouteStep,
):
    ex = exchange(messages("claude-sonnet-4-5", EASY))
    usage = Usage(input_tokens=2000, output_tokens=100)
    await step(ex, Upstream(error(400, "bad"), OK, usage=usage))
    account(ex)
    assert ex.savings.steps["routing"].usd == Decimal(0)
    headers = savings_headers(ex)
    assert headers["X-Model-Routed"] == "claude-sonnet-4-5"
    assert headers["X-Original-Model"] == "claude-sonnet-4-5"
    assert headers["X-Cost-Saved-USD"] == "0"
