"""The admin API client: the only way the TUI reaches the appliance.

Every call sends the admin bearer token, has a timeout, and turns failures
into three kinds of error the screens know how to show: the API cannot be
reached, the token was refused, or the API refused the request itself.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import httpx

from tui.models import (
    IssuedKey,
    Leak,
    ProxyKey,
    RequestEvent,
    SeriesPoint,
    Summary,
    TagRow,
    Workspace,
)

log = logging.getLogger(__name__)

PREFIX = "/admin/v1"
TIMEOUT = httpx.Timeout(5.0)
STREAM_TIMEOUT = httpx.Timeout(5.0, read=None)


class ApiError(Exception):
    """The admin API answered, and said no."""

    def __init__(self, message: str, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class Unreachable(ApiError):
    """No answer from the admin API: not running, wrong address, or cut off."""


class Unauthorized(ApiError):
    """The admin token is missing or the API refused it (401)."""


TokenSource = Callable[[], str]


class AdminClient:
    """Typed calls on the admin API over one shared httpx client."""

    def __init__(
        self,
        url: str,
        token: TokenSource,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self._http = httpx.AsyncClient(
            base_url=self.url, transport=transport, timeout=TIMEOUT
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def health(self) -> dict[str, Any]:
        return await self._call("GET", "/health")

    async def workspaces(self) -> list[Workspace]:
        rows = await self._call("GET", "/workspaces")
        return [Workspace.from_json(row) for row in _items(rows)]

    async def workspace(self, workspace_id: str) -> Workspace:
        return Workspace.from_json(
            await self._call("GET", f"/workspaces/{workspace_id}")
        )

    async def create_workspace(self, name: str, plan: str) -> Workspace:
        body = {"name": name, "plan": plan}
        return Workspace.from_json(await self._call("POST", "/workspaces", json=body))

    async def update_workspace(self, workspace_id: str, **changes: Any) -> Workspace:
        path = f"/workspaces/{workspace_id}"
        return Workspace.from_json(await self._call("PATCH", path, json=changes))

    async def delete_workspace(self, workspace_id: str) -> None:
        params = {"confirm": workspace_id}
        await self._call("DELETE", f"/workspaces/{workspace_id}", params=params)

    async def activate(self, workspace_id: str) -> dict[str, Any]:
        return await self._call(
            "POST", f"/workspaces/{workspace_id}/subscription/activate"
        )

    async def cancel(self, workspace_id: str) -> dict[str, Any]:
        return await self._call(
            "POST", f"/workspaces/{workspace_id}/subscription/cancel"
        )

    async def settings(self, workspace_id: str) -> dict[str, Any]:
        return await self._call("GET", f"/workspaces/{workspace_id}/settings")

    async def put_settings(
        self, workspace_id: str, settings: dict[str, Any]
    ) -> dict[str, Any]:
        path = f"/workspaces/{workspace_id}/settings"
        return await self._call("PUT", path, json=settings)

    async def keys(self, workspace_id: str) -> list[ProxyKey]:
        rows = await self._call("GET", f"/workspaces/{workspace_id}/keys")
        return [ProxyKey.from_json(row) for row in _items(rows)]

    async def issue_key(self, workspace_id: str, name: str | None = None) -> IssuedKey:
        body = {"name": name} if name else {}
        path = f"/workspaces/{workspace_id}/keys"
        return IssuedKey.from_json(await self._call("POST", path, json=body))

    async def rotate_key(self, key_id: str, grace_seconds: int) -> IssuedKey:
        body = {"grace_seconds": grace_seconds}
        path = f"/keys/{key_id}/rotate"
        return IssuedKey.from_json(await self._call("POST", path, json=body))

    async def revoke_key(self, key_id: str) -> None:
        await self._call("DELETE", f"/keys/{key_id}")

    async def summary(
        self,
        workspace_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Summary:
        params = _params(workspace=workspace_id, since=since, until=until)
        return Summary.from_json(
            await self._call("GET", "/usage/summary", params=params)
        )

    async def by_tag(self, kind: str, workspace_id: str | None = None) -> list[TagRow]:
        params = _params(workspace=workspace_id)
        rows = await self._call("GET", f"/usage/by/{kind}", params=params)
        return [TagRow.from_json(kind, row) for row in _items(rows)]

    async def series(
        self, bucket: str = "hour", workspace_id: str | None = None
    ) -> list[SeriesPoint]:
        params = _params(bucket=bucket, workspace=workspace_id)
        rows = await self._call("GET", "/usage/series", params=params)
        return [SeriesPoint.from_json(row) for row in _items(rows)]

    async def leaks(
        self, workspace_id: str | None = None, status: str = "open"
    ) -> list[Leak]:
        """Findings with `status` open, resolved or all."""
        params = _params(workspace=workspace_id, status=status)
        rows = await self._call("GET", "/leaks", params=params)
        return [Leak.from_json(row) for row in _items(rows)]

    async def resolve_leak(self, leak_id: str) -> dict[str, Any]:
        return await self._call("POST", f"/leaks/{leak_id}/resolve")

    async def events(self) -> AsyncIterator[RequestEvent]:
        """Completed requests as the appliance reports them, until the stream ends."""
        request = self._http.build_request(
            "GET", PREFIX + "/events", headers=self._headers(), timeout=STREAM_TIMEOUT
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as error:
            raise _unreachable(self.url, error) from error
        try:
            _raise_for(response, await _error_body(response))
            async for name, data in _sse(response):
                if name == "request":
                    yield RequestEvent.from_json(json.loads(data))
        except httpx.TransportError as error:
            raise _unreachable(self.url, error) from error
        finally:
            await response.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(
                method, PREFIX + path, headers=self._headers(), **kwargs
            )
        except httpx.TransportError as error:
            raise _unreachable(self.url, error) from error
        body = _json(response)
        _raise_for(response, body)
        return body

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token()}"}


def _params(**values: Any) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        params[name] = value.isoformat() if isinstance(value, datetime) else str(value)
    return params


def _items(body: Any) -> list[dict[str, Any]]:
    """A list endpoint's rows, whether sent bare or wrapped in an envelope."""
    if isinstance(body, dict):
        for name in ("items", "data", "results"):
            if isinstance(body.get(name), list):
                return body[name]
        return []
    return list(body or [])


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


async def _error_body(response: httpx.Response) -> Any:
    if response.status_code < httpx.codes.BAD_REQUEST:
        return None
    await response.aread()
    return _json(response)


def _raise_for(response: httpx.Response, body: Any) -> None:
    if response.status_code < httpx.codes.BAD_REQUEST:
        return
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    message = str(error.get("message") or f"HTTP {response.status_code}")
    code = str(error.get("code") or "")
    if response.status_code == httpx.codes.UNAUTHORIZED:
        raise Unauthorized(message, response.status_code, code)
    raise ApiError(message, response.status_code, code)


def _unreachable(url: str, error: httpx.TransportError) -> Unreachable:
    reason = str(error) or type(error).__name__
    log.debug("admin API at %s unreachable: %s", url, reason)
    return Unreachable(f"Cannot reach the admin API at {url}: {reason}")


async def _sse(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """(event name, data) pairs of a server-sent event stream."""
    name, data = "message", list[str]()
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield name, "\n".join(data)
            name, data = "message", list[str]()
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
