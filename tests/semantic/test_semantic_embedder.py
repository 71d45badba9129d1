"""The embedder: unit vectors from the packaged model, batching of async callers."""

import asyncio
import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from appliance.semantic.embedder import Batching, Embedder


def test_embed_sync_returns_unit_float32_rows_of_model_width(embedder):
    vectors = embedder.embed_sync(["capital of France", "how do I bake bread"])

    assert vectors.shape == (2, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.dim == 384


def test_embed_sync_of_nothing_is_an_empty_matrix(embedder):
    assert embedder.embed_sync([]).shape == (0, 384)


def test_paraphrases_are_closer_than_unrelated_text(embedder):
    a, b, c = embedder.embed_sync(
        [
            "What is the capital of France?",
            "Which city is the capital of France?",
            "Give me a recipe for banana bread.",
        ]
    )

    assert float(a @ b) > 0.8
    assert float(a @ c) < 0.3


async def test_concurrent_embed_calls_share_one_model_call(embedder):
    texts = [f"question number {n} about invoices" for n in range(10)]
    before = embedder.model_calls

    vectors = await asyncio.gather(*(embedder.embed(text) for text in texts))

    assert embedder.model_calls - before == 1
    expected = embedder.embed_sync(texts)
    for got, want in zip(vectors, expected, strict=True):
        assert np.allclose(got, want, atol=1e-5)


async def test_embed_splits_batches_at_the_item_cap(tmp_path: Path, packaged_model):
    small = Embedder(packaged_model, tmp_path, Batching(max_wait_s=0.05, max_items=4))
    try:
        vectors = await asyncio.gather(*(small.embed(f"item {n}") for n in range(10)))
    finally:
        small.close()

    assert len(vectors) == 10
    assert small.model_calls == 3
    assert (tmp_path / "models" / "minilm-l6" / "model.onnx").is_symlink()


async def test_embed_does_not_block_the_event_loop(embedder):
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    running = asyncio.create_task(ticker())
    await embedder.embed("a long sentence " * 50)
    running.cancel()

    assert ticks > 5


def test_embed_recovers_when_an_earlier_event_loop_closed_mid_batch(embedder):
    abandoned = asyncio.new_event_loop()
    task = abandoned.create_task(embedder.embed("left behind " * 40))
    abandoned.run_until_complete(asyncio.sleep(0.005))
    task.cancel()
    abandoned.run_until_complete(asyncio.gather(task, return_exceptions=True))
    abandoned.close()

    vector = asyncio.run(asyncio.wait_for(embedder.embed("served later"), 10))

    assert vector.shape == (384,)


async def test_lone_embed_starts_at_once_without_a_batching_wait(embedder):
    loop = asyncio.get_running_loop()
    began = loop.time()

    await embedder.embed("a lone question about the weather in Lisbon")

    assert Batching().max_wait_s == 0.0
    assert loop.time() - began < 0.4


async def test_callers_arriving_while_the_model_runs_share_the_next_call(embedder):
    before = embedder.model_calls
    first = asyncio.create_task(embedder.embed("the first caller " * 40))
    while embedder.model_calls == before:
        await asyncio.sleep(0.0005)

    later = [embedder.embed(f"a later caller number {n}") for n in range(5)]
    await asyncio.gather(first, *later)

    assert embedder.model_calls - before == 2


async def test_a_text_embedded_recently_skips_the_model(embedder):
    first = await embedder.embed("how many moons does the memo planet have")
    before = embedder.model_calls

    again = await embedder.embed("how many moons does the memo planet have")

    assert embedder.model_calls == before
    assert np.array_equal(first, again)
    assert not again.flags.writeable


async def test_memo_keeps_only_the_most_recent_texts(tmp_path: Path, packaged_model):
    small = Embedder(packaged_model, tmp_path, memo_texts=2)
    try:
        for text in ("one", "two", "three"):
            await small.embed(text)
        calls = small.model_calls
        await small.embed("three")
        await small.embed("two")
        unchanged = small.model_calls
        await small.embed("one")
    finally:
        small.close()

    assert unchanged == calls
    assert small.model_calls == calls + 1


async def test_a_request_does_not_wait_behind_a_background_text(embedder):
    started = embedder.model_calls
    finished: list[str] = []
    background = asyncio.create_task(
        embedder.embed("a long new entry to remember later " * 60, urgent=False)
    )
    background.add_done_callback(lambda _: finished.append("background"))
    while embedder.model_calls == started:
        await asyncio.sleep(0.0005)
    lookup = asyncio.create_task(embedder.embed("a request waits for this"))
    lookup.add_done_callback(lambda _: finished.append("request"))

    await asyncio.gather(background, lookup)

    assert finished == ["request", "background"]
    assert embedder.model_calls - started == 2


async def test_background_texts_queued_together_share_one_call(embedder):
    started = embedder.model_calls
    texts = [f"new entry number {n}" for n in range(3)]
    vectors = await asyncio.gather(*(embedder.embed(t, urgent=False) for t in texts))
    assert embedder.model_calls - started == 1
    assert np.allclose(np.stack(vectors), embedder.embed_sync(texts), atol=1e-5)


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice is Linux's")
def test_background_lane_runs_at_a_lower_priority(embedder):
    def own_priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    background = embedder._lanes[False].worker.submit(own_priority).result()
    requests = embedder._lanes[True].worker.submit(own_priority).result()
    assert background >= 10
    assert background > requests
