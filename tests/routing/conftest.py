"""Routing fixtures: the real packaged embedder and a router built from the
shipped config, both made once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.pipeline.context import Exchange
from appliance.providers.anthropic import AnthropicFormat
from appliance.providers.openai import OpenAIFormat
from appliance.routing.router import Router, build_router, load_route_table
from appliance.routing.table import RouteTable
from appliance.semantic.embedder import Embedder
from appliance.settings import SemanticSettings
from appliance.store.views import WorkspaceView
from appliance.tokens import TokenCounter

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "appliance" / "routing" / "data" / "models.toml"
EXAMPLES = ROOT / "appliance" / "routing" / "data" / "routing_examples.jsonl"
PROMPTS = ROOT / "tests" / "data" / "routing_prompts.jsonl"
EASY = "What's 18% of 350?"
HARD = (
    "Prove that every graph has an even number of vertices of odd degree, then "
    "show that every tree with at least two vertices has at least two leaves, and "
    "explain why the argument fails for infinite graphs."
)


@pytest.fixture(scope="session")
def embedder() -> Iterator[Embedder]:
    model = Embedder(SemanticSettings())
    yield model
    model.close()


@pytest.fixture(scope="session")
def counter() -> TokenCounter:
    return TokenCounter()


@pytest.fixture(scope="session")
def router(embedder: Embedder, counter: TokenCounter) -> Router:
    return build_router(MODELS, EXAMPLES, embedder, counter)


@pytest.fixture(scope="session")
def table() -> RouteTable:
    return load_route_table(MODELS)


def chat(model: str, prompt: str = EASY, **fields: Any) -> dict[str, Any]:
    """An OpenAI chat completions body with one user message."""
    return {"model": model, "messages": [{"role": "user", "content": prompt}], **fields}


def messages(model: str, prompt: str = EASY, **fields: Any) -> dict[str, Any]:
    """An Anthropic messages body with one user message."""
    body = {"model": model, "max_tokens": 1024, **fields}
    body.setdefault("messages", [{"role": "user", "content": prompt}])
    return body


def exchange(
    body: dict[str, Any],
    controls: dict[str, str] | None = None,
    workspace: dict[str, Any] | None = None,
) -> Exchange:
    """An exchange as the validate step leaves it, for either protocol."""
    anthropic = str(body.get("model", "")).startswith("claude")
    ex = Exchange(
        request_id="req-1",
        fmt=AnthropicFormat() if anthropic else OpenAIFormat(),
        method="POST",
        path="/v1/messages" if anthropic else "/v1/chat/completions",
        query="",
        headers={},
        raw_body=b"{}",
        body=body,
        controls=controls or {},
    )
    ex.original_model = ex.model
    if workspace is not None:
        ex.workspace = WorkspaceView(
            id="ws-1",
            name="acme",
            plan="starter",
            quota=100,
            burst_rate=None,
            burst_capacity=None,
            active=True,
            settings=workspace,
        )
    return ex
