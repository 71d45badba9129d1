"""Helpers for the cache's tests: SDK clients, raw posts and a real embedder."""

from __future__ import annotations

import time
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest

from appliance.semantic.embedder import MEMO_TEXTS, Embedder
from appliance.settings import SemanticSettings

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


def packaged_embedder(memo_texts: int = MEMO_TEXTS) -> Iterator[Embedder]:
    """The packaged model on the default settings, loaded offline, then closed."""
    built = Embedder(SemanticSettings(), memo_texts=memo_texts)
    built.warm()
    yield built
    built.close()


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    yield from packaged_embedder()


def openai_client(appliance, key: str, **headers: str) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    return openai.OpenAI(
        api_key="sk-provider-secret",
        base_url=appliance.url + "/v1",
        default_headers={"x-proxy-key": key, **headers},
        max_retries=0,
    )


def anthropic_client(appliance, key: str, **headers: str) -> anthropic.Anthropic:  # type: ignore[no-untyped-def]
    return anthropic.Anthropic(
        api_key="sk-ant-provider-secret",
        base_url=appliance.url,
        default_headers={"x-proxy-key": key, **headers},
        max_retries=0,
    )


def post(
    appliance, key: str, body: dict, path: str = "/v1/chat/completions", **headers: str
) -> httpx.Response:  # type: ignore[no-untyped-def]
    return httpx.post(
        appliance.url + path,
        json=body,
        headers={"x-proxy-key": key, "authorization": "Bearer sk-x", **headers},
        timeout=30,
    )


def ask(appliance, key: str, **headers: str):  # type: ignore[no-untyped-def]
    """One chat completion through the OpenAI SDK, with its raw response."""
    with openai_client(appliance, key, **headers) as client:
        return client.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=QUESTION
        )


def wait_for(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


@pytest.fixture
def quiet_appliance(appliance_factory):  # type: ignore[no-untyped-def]
    """An appliance with the semantic cache off, for exact-cache behaviour."""
    return appliance_factory(semantic={"enabled": False})


@pytest.fixture
def semantic_appliance(appliance_factory):  # type: ignore[no-untyped-def]
    """An appliance with the semantic cache on, whatever the test defaults are."""
    return appliance_factory(semantic={"enabled": True})
