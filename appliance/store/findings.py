"""Findings of the leak scans: the table, and how sightings open, grow and resolve.

A scan reports each wasteful pattern it sees as a `Sighting` with its waste
counted per minute. One open finding per workspace, pattern and subject
absorbs every later sighting, counting only the minutes it has not counted
yet, so a scan can be re-run without counting anything twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from appliance.errors import NotFound
from appliance.store.models import money, utcnow

PATTERNS = ("runaway_prompt", "oversized_context", "retry", "cost_spike")
EVIDENCE_IDS = 5
MINUTE = timedelta(minutes=1)


class Finding(SQLModel, table=True):
    __table_args__ = (
        Index("ix_finding_subject", "workspace_id", "pattern", "subject"),
        Index(
            "ux_finding_open",
            "workspace_id",
            "pattern",
            "subject",
            unique=True,
            sqlite_where=text("status = 'open'"),
        ),
        Index("ix_finding_status", "status", "workspace_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str
    pattern: str
    subject: str
    feature_tag: str | None = None
    team_tag: str | None = None
    user_tag: str | None = None
    window_start: datetime
    window_end: datetime
    count: int = 0
    tokens_wasted: int = 0
    usd_wasted: Decimal = money()
    evidence: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    status: str = "open"  # open | resolved
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)
    counted_until: datetime
    resolved_at: datetime | None = None
    detail: str = ""


@dataclass
class Tally:
    """What one minute of a pattern wasted."""

    count: int = 0
    tokens: int = 0
    usd: Decimal = Decimal(0)

    def add(self, count: int, tokens: int, usd: Decimal) -> None:
        self.count += count
        self.tokens += tokens
        self.usd += usd


@dataclass
class Sighting:
    """One pattern seen by one scan, its waste keyed by minute start (UTC)."""

    workspace_id: str
    pattern: str
    subject: str
    minutes: dict[datetime, Tally]
    evidence: list[str]
    detail: str
    feature_tag: str | None = None
    team_tag: str | None = None
    user_tag: str | None = None
    min_count: int = 1  # what a recurrence after resolution must count again
    min_usd: Decimal | None = None  # and, if set, the dollars it must waste above


@dataclass(frozen=True)
class Outcome:
    finding: Finding
    action: str  # opened | updated | seen


@dataclass
class _Totals:
    start: datetime | None = None
    end: datetime | None = None
    tally: Tally = field(default_factory=Tally)


def record(
    engine: Engine, sighting: Sighting, until: datetime, now: datetime
) -> Outcome | None:
    """Fold a sighting into its open finding, or open one; None if not recurring.

    `until` is the (minute-aligned) end of the scanned period: minutes before
    it are counted from now on.
    """
    for _attempt in range(3):
        try:
            return _record_once(engine, sighting, until, now)
        except _Raced:
            continue
    raise RuntimeError(f"finding {sighting.subject!r} kept changing under the scan")


class _Raced(Exception):
    """Another scan changed the same finding between our read and our write."""


def _record_once(
    engine: Engine, sighting: Sighting, until: datetime, now: datetime
) -> Outcome | None:
    latest = _latest(engine, sighting)
    if latest is None:
        return _open(engine, sighting, _since(sighting.minutes, None), until, now)
    if latest.status != "open":
        counted = max(_aware(latest.counted_until), _minute(latest.resolved_at))
        totals = _since(sighting.minutes, counted)
        if not _recurs(sighting, totals.tally):
            return None
        return _open(engine, sighting, totals, until, now)
    return _grow(engine, latest, sighting, until, now)


def _recurs(sighting: Sighting, fresh: Tally) -> bool:
    """Whether what came after a resolution is the pattern again, not its tail."""
    if fresh.count < sighting.min_count:
        return False
    return sighting.min_usd is None or fresh.usd > sighting.min_usd


def _latest(engine: Engine, sighting: Sighting) -> Finding | None:
    query = (
        select(Finding)
        .where(Finding.workspace_id == sighting.workspace_id)
        .where(Finding.pattern == sighting.pattern)
        .where(Finding.subject == sighting.subject)
        .order_by(Finding.id.desc())  # type: ignore[union-attr]
        .limit(1)
    )
    with session(engine) as db:
        return db.exec(query).first()


def _since(minutes: dict[datetime, Tally], counted: datetime | None) -> _Totals:
    totals = _Totals()
    for minute, tally in sorted(minutes.items()):
        if counted is not None and minute < counted:
            continue
        if tally.count:
            totals.start = totals.start or minute
            totals.end = minute + MINUTE
        totals.tally.add(tally.count, tally.tokens, tally.usd)
    return totals


def _open(
    engine: Engine, sighting: Sighting, totals: _Totals, until: datetime, now: datetime
) -> Outcome | None:
    if totals.start is None or totals.end is None:
        return None
    finding = Finding(
        workspace_id=sighting.workspace_id,
        pattern=sighting.pattern,
        subject=sighting.subject,
        feature_tag=sighting.feature_tag,
        team_tag=sighting.team_tag,
        user_tag=sighting.user_tag,
        window_start=totals.start,
        window_end=totals.end,
        count=totals.tally.count,
        tokens_wasted=max(0, totals.tally.tokens),
        usd_wasted=max(Decimal(0), totals.tally.usd),
        evidence=sighting.evidence[:EVIDENCE_IDS],
        first_seen=now,
        last_seen=now,
        counted_until=until,
        detail=sighting.detail,
    )
    try:
        with session(engine) as db:
            db.add(finding)
            db.commit()
    except IntegrityError:
        raise _Raced from None
    return Outcome(finding, "opened")


def _grow(
    engine: Engine, finding: Finding, sighting: Sighting, until: datetime, now: datetime
) -> Outcome:
    counted = _aware(finding.counted_until)
    totals = _since(sighting.minutes, counted)
    changes: dict[str, Any] = {
        "last_seen": now,
        "detail": sighting.detail,
        "counted_until": max(counted, until),
        "evidence": _merge_evidence(finding.evidence, sighting.evidence),
    }
    if totals.start is not None and totals.end is not None:
        changes["window_start"] = min(_aware(finding.window_start), totals.start)
        changes["window_end"] = max(_aware(finding.window_end), totals.end)
    changes["count"] = finding.count + totals.tally.count
    changes["tokens_wasted"] = max(0, finding.tokens_wasted + totals.tally.tokens)
    changes["usd_wasted"] = max(Decimal(0), finding.usd_wasted + totals.tally.usd)
    statement = (
        update(Finding)
        .where(Finding.id == finding.id)  # type: ignore[arg-type]
        .where(Finding.counted_until == finding.counted_until)  # type: ignore[arg-type]
        .where(Finding.status == "open")  # type: ignore[arg-type]
        .values(**changes)
    )
    with session(engine) as db:
        if db.exec(statement).rowcount != 1:  # type: ignore[call-overload]
            raise _Raced
        db.commit()
    for name, value in changes.items():
        setattr(finding, name, value)
    return Outcome(finding, "updated" if totals.tally.count else "seen")


def _merge_evidence(kept: list[str], seen: list[str]) -> list[str]:
    merged = list(kept or [])
    merged.extend(request for request in seen if request not in merged)
    return merged[:EVIDENCE_IDS]


def list_findings(
    engine: Engine, workspace_id: str | None = None, status: str | None = "open"
) -> list[Finding]:
    """Findings, the most recently seen first; `status=None` lists every status."""
    query = select(Finding)
    if workspace_id is not None:
        query = query.where(Finding.workspace_id == workspace_id)
    if status is not None:
        query = query.where(Finding.status == status)
    query = query.order_by(
        Finding.last_seen.desc(),  # type: ignore[attr-defined]
        Finding.id.desc(),  # type: ignore[union-attr]
    )
    with session(engine) as db:
        return list(db.exec(query).all())


def get(engine: Engine, finding_id: int) -> Finding:
    with session(engine) as db:
        finding = db.get(Finding, finding_id)
    if finding is None:
        raise NotFound(f"No finding {finding_id!r}.")
    return finding


def resolve(engine: Engine, finding_id: int, now: datetime | None = None) -> Finding:
    """Mark a finding resolved; if the pattern comes back, a new finding opens."""
    with session(engine) as db:
        finding = db.get(Finding, finding_id)
        if finding is None:
            raise NotFound(f"No finding {finding_id!r}.")
        if finding.status != "resolved":
            finding.status = "resolved"
            finding.resolved_at = now or utcnow()
            db.add(finding)
            db.commit()
            db.refresh(finding)
        return finding


def describe(finding: Finding) -> dict[str, Any]:
    """The JSON shape the CLI and admin API show for a finding."""
    return {
        "id": finding.id,
        "workspace_id": finding.workspace_id,
        "pattern": finding.pattern,
        "feature_tag": finding.feature_tag,
        "team_tag": finding.team_tag,
        "user_tag": finding.user_tag,
        "window_start": _iso(finding.window_start),
        "window_end": _iso(finding.window_end),
        "count": finding.count,
        "tokens_wasted": finding.tokens_wasted,
        "usd_wasted": str(finding.usd_wasted),
        "evidence": list(finding.evidence or []),
        "status": finding.status,
        "first_seen": _iso(finding.first_seen),
        "last_seen": _iso(finding.last_seen),
        "detail": finding.detail,
    }


def session(engine: Engine) -> Session:
    """Like store.db.session; db imports this module to register the table."""
    return Session(engine, expire_on_commit=False)


def _aware(value: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; every one stored is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _minute(value: datetime | None) -> datetime:
    if value is None:
        return datetime.min.replace(tzinfo=UTC)
    return _aware(value).replace(second=0, microsecond=0)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else _aware(value).isoformat()
