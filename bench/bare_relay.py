"""The floor of our stack: a Litestar app that only forwards (no auth, no pipeline).

Run: python bench/bare_relay.py PORT UPSTREAM_URL TRANSPORT(aiohttp|httpx|direct)

`aiohttp` and `httpx` send through an httpx client on that transport (the
pool sized as Optera's), as a minimal relay would be written; `direct` hands
the request to Optera's own transport, as its forward step does.
"""

from __future__ import annotations

import logging
import sys

import httpx
import uvicorn
from httpx_aiohttp import AiohttpTransport
from litestar import Litestar, Request, Response, post
from litestar.datastructures import State
from litestar.response import Stream

from appliance.providers.upstream import Upstream, pool_limits
from appliance.settings import UpstreamSettings


def make_app(base: str, transport: str) -> Litestar:
    settings = UpstreamSettings()
    upstream = Upstream(settings)
    limits = pool_limits(settings)
    client = httpx.AsyncClient(
        transport=AiohttpTransport(limits=limits, trust_env=False)
        if transport == "aiohttp"
        else httpx.AsyncHTTPTransport(limits=limits, trust_env=False),
        trust_env=False,
    )

    @post("/v1/chat/completions", status_code=200)
    async def relay(request: Request, state: State) -> Response:
        body = await request.body()
        url = base + "/v1/chat/completions"
        headers = {
            "content-type": "application/json",
            "authorization": request.headers.get("authorization", ""),
        }
        if transport == "direct":
            raw = [(name.encode(), value.encode()) for name, value in headers.items()]
            response = await upstream.send(upstream.request("POST", url, raw, body))
        else:
            upstream_request = client.build_request(
                "POST", url, content=body, headers=headers
            )
            response = await client.send(upstream_request, stream=True)
        if response.headers.get("content-type", "").startswith("text/event-stream"):

            async def chunks():  # type: ignore[no-untyped-def]
                try:
                    async for chunk in response.aiter_raw():
                        yield chunk
                finally:
                    await response.aclose()

            return Stream(chunks(), media_type="text/event-stream")
        data = await response.aread()
        await response.aclose()
        return Response(
            content=data,
            status_code=response.status_code,
            media_type="application/json",
        )

    return Litestar([relay], openapi_config=None)


if __name__ == "__main__":
    port, upstream, transport = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    logging.getLogger("httpx").setLevel(logging.WARNING)
    uvicorn.run(
        make_app(upstream, transport),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        loop="uvloop",
        http="httptools",
        backlog=4096,
    )
