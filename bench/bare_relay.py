"""The floor of our stack: a Litestar app that only forwards (no auth, no pipeline).

Run: python bench/bare_relay.py PORT UPSTREAM_URL TRANSPORT(aiohttp|httpx)
"""

from __future__ import annotations

import logging
import sys

import uvicorn
from litestar import Litestar, Request, Response, post
from litestar.datastructures import State
from litestar.response import Stream

from appliance.providers.upstream import build_client
from appliance.settings import UpstreamSettings


def make_app(upstream: str, transport: str) -> Litestar:
    client = build_client(UpstreamSettings(transport=transport))

    @post("/v1/chat/completions", status_code=200)
    async def relay(request: Request, state: State) -> Response:
        body = await request.body()
        upstream_request = client.build_request(
            "POST",
            upstream + "/v1/chat/completions",
            content=body,
            headers={
                "content-type": "application/json",
                "authorization": request.headers.get("authorization", ""),
            },
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
