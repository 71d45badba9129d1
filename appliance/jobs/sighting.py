"""Gathers the records of one pattern into a sighting: waste per minute, the
tags they share and a few request ids as evidence."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from appliance.store.findings import EVIDENCE_IDS, Sighting, Tally
from appliance.store.scan_queries import UsageRow

TAGS = ("feature_tag", "team_tag", "user_tag")
NANO = Decimal("0.000000001")


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def priced(row: UsageRow, tokens: int) -> Decimal:
    """`tokens` of `row` at that request's own average cost per token, to the
    nanodollar (an estimate: input tokens usually cost less than output)."""
    spent = row.prompt_tokens + row.completion_tokens
    if spent <= 0 or tokens <= 0:
        return Decimal(0)
    return (row.cost_usd * tokens / spent).quantize(NANO)


class SightingBuilder:
    """Adds up one pattern's records; a tag is kept only if all of them share it."""

    def __init__(self, workspace_id: str, pattern: str, subject: str) -> None:
        self.workspace_id = workspace_id
        self.pattern = pattern
        self.subject = subject
        self.minutes: dict[datetime, Tally] = {}
        self.evidence: list[str] = []
        self.total = Tally()
        self._tags: dict[str, str | None] = {}

    def add(
        self, row: UsageRow, tokens: int, usd: Decimal, *, evidence: bool = True
    ) -> None:
        """Count `row` as one request of the pattern, wasting `tokens` and `usd`."""
        self.minutes.setdefault(minute_of(row.created_at), Tally()).add(1, tokens, usd)
        self.total.add(1, tokens, usd)
        for name in TAGS:
            value = getattr(row, name)
            if name not in self._tags:
                self._tags[name] = value
            elif self._tags[name] != value:
                self._tags[name] = None
        if evidence:
            self.cite(row.request_id)

    def cite(self, request_id: str) -> None:
        if len(self.evidence) < EVIDENCE_IDS and request_id not in self.evidence:
            self.evidence.append(request_id)

    def build(
        self, detail: str, min_count: int, min_usd: Decimal | None = None
    ) -> Sighting:
        return Sighting(
            workspace_id=self.workspace_id,
            pattern=self.pattern,
            subject=self.subject,
            minutes=self.minutes,
            evidence=self.evidence,
            detail=detail,
            feature_tag=self._tags.get("feature_tag"),
            team_tag=self._tags.get("team_tag"),
            user_tag=self._tags.get("user_tag"),
            min_count=min_count,
            min_usd=min_usd,
        )
