"""Proxy keys: issued once in clear, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col, select

from appliance.errors import NotFound
from appliance.store import workspaces
from appliance.store.db import session
from appliance.store.models import ProxyKey, Workspace, utcnow

KEY_PREFIX = "opk_"


def hash_key(plaintext: str) -> str:
    """Keys carry 256 random bits, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def issue(
    engine: Engine, workspace_ref: str, name: str | None = None
) -> tuple[ProxyKey, str]:
    """A new key for the workspace; the plaintext is returned here and never again."""
    workspace = workspaces.get(engine, workspace_ref)
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ProxyKey(
        id="key_" + secrets.token_hex(6),
        workspace_id=workspace.id,
        key_hash=hash_key(plaintext),
        prefix=plaintext[:12],
        name=name,
    )
    with session(engine) as db:
        db.add(key)
        db.commit()
    return key, plaintext


def get(engine: Engine, key_id: str) -> ProxyKey:
    with session(engine) as db:
        key = db.get(ProxyKey, key_id)
    if key is None:
        raise NotFound(f"No proxy key {key_id!r}.")
    return key


def revoke(engine: Engine, key_id: str) -> ProxyKey:
    with session(engine) as db:
        key = db.get(ProxyKey, key_id)
        if key is None:
            raise NotFound(f"No proxy key {key_id!r}.")
        key.revoked_at = key.revoked_at or utcnow()
        db.add(key)
        db.commit()
        db.refresh(key)
        return key


def rotate(engine: Engine, key_id: str, grace_seconds: int) -> tuple[ProxyKey, str]:
    """Issue a successor; the old key keeps working for `grace_seconds`."""
    old = get(engine, key_id)
    new, plaintext = issue(engine, old.workspace_id, old.name)
    with session(engine) as db:
        row = db.get(ProxyKey, key_id)
        assert row is not None
        row.expires_at = utcnow() + timedelta(seconds=max(0, grace_seconds))
        db.add(row)
        db.commit()
    return new, plaintext


def list_for(engine: Engine, workspace_ref: str) -> list[ProxyKey]:
    workspace = workspaces.get(engine, workspace_ref)
    with session(engine) as db:
        query = select(ProxyKey).where(ProxyKey.workspace_id == workspace.id)
        return list(db.exec(query.order_by(col(ProxyKey.created_at))).all())


def lookup(engine: Engine, plaintext: str) -> tuple[ProxyKey, Workspace] | None:
    """The live key with this plaintext and its workspace, or None."""
    digest = hash_key(plaintext)
    with session(engine) as db:
        row = db.exec(
            select(ProxyKey, Workspace)
            .join(Workspace, col(Workspace.id) == col(ProxyKey.workspace_id))
            .where(ProxyKey.key_hash == digest)
        ).first()
    if row is None:
        return None
    key, workspace = row
    if not secrets.compare_digest(key.key_hash, digest) or not is_live(key, utcnow()):
        return None
    return key, workspace


def is_live(key: ProxyKey, now: datetime) -> bool:
    if key.revoked_at is not None:
        return False
    return key.expires_at is None or key.expires_at > now


def touch(connection: Connection, last_used: dict[str, datetime]) -> None:
    """Write the last-use times gathered since the previous flush, in the
    caller's transaction."""
    if not last_used:
        return
    table: Table = ProxyKey.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(table.c.id == bindparam("key_id"))
        .values(last_used_at=bindparam("when"))
    )
    rows = [{"key_id": key_id, "when": when} for key_id, when in last_used.items()]
    connection.execute(statement, rows)


def describe(key: ProxyKey) -> dict[str, Any]:
    """A key as shown to operators: its prefix and dates, never its hash."""
    now = utcnow()
    return {
        "id": key.id,
        "workspace_id": key.workspace_id,
        "prefix": key.prefix,
        "name": key.name,
        "created_at": key.created_at.isoformat(),
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "revoked": key.revoked_at is not None,
        "live": is_live(key, now),
    }
