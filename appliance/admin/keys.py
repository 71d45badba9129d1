"""Proxy keys: list (prefix and last use only), issue, rotate with grace, revoke.

A key's plaintext is in the answer that issues it and nowhere else. Every
change clears the proxy's key cache, so a revoked key fails at once.
"""

from __future__ import annotations

from asyncio import to_thread
from typing import Any, cast

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from appliance.admin.schemas import IssuedKey, Key, KeyCreate, KeyRotate
from appliance.errors import InvalidRequest
from appliance.runtime import Runtime
from appliance.store import keys
from appliance.store.models import ProxyKey, utcnow


def key_json(key: ProxyKey) -> Key:
    return cast(Key, keys.describe(key))


def issued_json(key: ProxyKey, plaintext: str) -> IssuedKey:
    return cast(IssuedKey, {**keys.describe(key), "key": plaintext})


class KeyController(Controller):
    path = ""
    tags = ["keys"]

    @get("/workspaces/{workspace_id:str}/keys")
    async def list_keys(
        self, workspace_id: FromPath[str], runtime: NamedDependency[Runtime]
    ) -> list[Key]:
        rows = await to_thread(keys.list_for, runtime.engine, workspace_id)
        return [key_json(row) for row in rows]

    @post("/workspaces/{workspace_id:str}/keys")
    async def issue_key(
        self,
        workspace_id: FromPath[str],
        runtime: NamedDependency[Runtime],
        data: JSONBody[KeyCreate | None] = None,
    ) -> IssuedKey:
        name = data.name if data is not None else None
        key, plaintext = await to_thread(keys.issue, runtime.engine, workspace_id, name)
        return issued_json(key, plaintext)

    @post("/keys/{key_id:str}/rotate")
    async def rotate_key(
        self,
        key_id: FromPath[str],
        runtime: NamedDependency[Runtime],
        data: JSONBody[KeyRotate | None] = None,
    ) -> IssuedKey:
        grace = (data or KeyRotate()).grace_seconds
        key, plaintext = await to_thread(_rotate, runtime, key_id, grace)
        runtime.keys.clear()
        return issued_json(key, plaintext)

    @delete("/keys/{key_id:str}", status_code=200)
    async def revoke_key(
        self, key_id: FromPath[str], runtime: NamedDependency[Runtime]
    ) -> Key:
        key = await to_thread(keys.revoke, runtime.engine, key_id)
        runtime.keys.clear()
        return key_json(key)


def _rotate(runtime: Runtime, key_id: str, grace: int) -> tuple[Any, str]:
    old = keys.get(runtime.engine, key_id)
    if not keys.is_live(old, utcnow()):
        raise InvalidRequest(f"Key {key_id} is revoked or expired; issue a new one.")
    return keys.rotate(runtime.engine, key_id, grace)
