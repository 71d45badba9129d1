"""Calls a provider's chat endpoint on Optera's own behalf, with the caller's key.

The history summarizer uses it: the request goes out on the shared upstream
client, with the caller's provider headers, and must succeed in `timeout`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from appliance.providers.base import ProviderFormat
from appliance.providers.upstream import sendable
from appliance.settings import UpstreamSettings

ChatCall = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


class ChatCallError(Exception):
    """The provider refused or failed the call."""


class ChatCaller:
    def __init__(
        self, client: httpx.AsyncClient, settings: UpstreamSettings, timeout: float
    ) -> None:
        self._client = client
        self._settings = settings
        self._timeout = timeout

    def bound(
        self, fmt: ProviderFormat, caller_headers: list[tuple[bytes, bytes]]
    ) -> ChatCall:
        """A call that sends a chat body as this caller, in `fmt`'s protocol."""
        headers = [
            (name, value)
            for name, value in sendable(fmt.upstream_headers(caller_headers))
            if name != b"content-type"
        ]
        headers.append((b"content-type", b"application/json"))
        base = (
            self._settings.anthropic_base_url
            if fmt.name == "anthropic"
            else self._settings.openai_base_url
        )
        url = base.rstrip("/") + fmt.chat_path.removeprefix("/v1")

        async def call(protocol: str, body: dict[str, Any]) -> dict[str, Any]:
            try:
                response = await self._client.post(
                    url, json=body, headers=headers, timeout=self._timeout
                )
            except httpx.HTTPError as error:
                raise ChatCallError(
                    f"chat call failed: {type(error).__name__}"
                ) from None
            if response.status_code >= 300:
                raise ChatCallError(f"chat call answered {response.status_code}")
            return response.json()

        return call
