"""Builds the proxy's Litestar app and owns its lifespan.

The request path, in order (each a module of appliance/pipeline):
account -> auth -> validate -> quota -> [cache -> compress -> route] -> forward.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

from litestar import Litestar, Request, Response
from litestar.config.cors import CORSConfig
from litestar.exceptions import HTTPException

from appliance.compression.options import CompressionOptions
from appliance.compression.summary_cache import LRUSummaryCache
from appliance.errors import OpteraError
from appliance.pipeline.account import AccountStep
from appliance.pipeline.auth import AuthStep
from appliance.pipeline.cache import CacheStep
from appliance.pipeline.chain import Step, chain
from appliance.pipeline.compress import CompressStep
from appliance.pipeline.context import Next
from appliance.pipeline.forward import ForwardStep
from appliance.pipeline.quota import QuotaStep
from appliance.pipeline.route import RouteStep
from appliance.pipeline.validate import ValidateStep
from appliance.providers.chat_call import ChatCaller
from appliance.providers.usage import Usage
from appliance.proxy.headers import EXPOSED
from appliance.proxy.routes import format_for, healthz, new_request_id, proxy, readyz
from appliance.runtime import Runtime
from appliance.settings import Settings

log = logging.getLogger(__name__)


def build_pipeline(runtime: Runtime) -> Next:
    """The steps in the order a request meets them."""
    settings = runtime.settings
    steps: list[Step] = [
        AccountStep(runtime.pricer, runtime.writer, settings.privacy.store_prompts),
        AuthStep(runtime.keys),
        ValidateStep(settings.server.max_body_bytes),
        QuotaStep(runtime.quota, runtime.burst),
        CacheStep(runtime.caches, runtime.pricer),
        compress_step(runtime),
    ]
    if runtime.embedder is not None:
        steps.append(RouteStep(runtime.routers, runtime.embedder, settings.routing))
    return chain(steps, ForwardStep(runtime.upstream, settings.upstream))


def compress_step(runtime: Runtime) -> CompressStep:
    """The compression step, with the summarizer calling upstream as the caller."""
    settings = runtime.settings
    caller = ChatCaller(
        runtime.upstream.client,
        settings.upstream,
        settings.compression.summarize_timeout_s,
    )

    def price(model: str, input_tokens: int, output_tokens: int) -> Decimal:
        provider = "anthropic" if model.startswith("claude") else "openai"
        return runtime.pricer.cost(provider, model, Usage(input_tokens, output_tokens))

    return CompressStep(
        runtime.tokens,
        price,
        CompressionOptions.from_mapping(settings.compression.model_dump()),
        summarize_call_for=lambda ex: caller.bound(ex.fmt, ex.raw_headers),
        summary_cache=LRUSummaryCache(4096),
    )


def create_app(
    settings: Settings,
    runtime: Runtime | None = None,
    *,
    owns_runtime: bool | None = None,
) -> Litestar:
    """The proxy app; opens (and closes) its own runtime unless one is handed in."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        owned = runtime is None if owns_runtime is None else owns_runtime
        live = runtime or Runtime.open(settings)
        await live.start()
        app.state.runtime = live
        app.state.pipeline = build_pipeline(live)
        app.state.max_body_bytes = settings.server.max_body_bytes
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            if owned:
                await live.close()

    return Litestar(
        route_handlers=[proxy, healthz, readyz],
        lifespan=[lifespan],
        cors_config=CORSConfig(
            allow_origins=settings.server.cors_origins,
            allow_headers=["*"],
            expose_headers=list(EXPOSED),
        ),
        exception_handlers={HTTPException: _http_error},
        request_max_body_size=None,
        openapi_config=None,
        # Logging is configured once by `optera serve`, not by each app.
        logging_config=None,
    )


def _http_error(request: Request, exc: HTTPException) -> Response:
    """Litestar's own errors (unknown path, wrong method) in the protocol's
    format the path or headers name, with a request id like every answer."""
    error = OpteraError(exc.detail or "Request failed.")
    error.status = exc.status_code
    found = exc.status_code != 404
    error.code = "invalid_request" if found else "not_found"
    error.kind = "invalid_request_error" if found else "not_found_error"
    fmt = format_for(request.scope["path"], dict(request.headers))
    return Response(
        content=fmt.error_body(error),
        status_code=exc.status_code,
        headers={**(exc.headers or {}), "X-Optera-Request-Id": new_request_id()},
    )
