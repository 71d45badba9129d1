"""cost_spike: a tag whose spend over the last hour is far above its baseline.

The baseline is the tag's mean hourly spend over the hours before (quiet
hours count as zero). Screening uses SQLite's float sums; the figures of a
flagged tag are summed again exactly, minute by minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine

from appliance.settings import CostSpikeLeakSettings
from appliance.store import spend_queries
from appliance.store.findings import EVIDENCE_IDS, MINUTE, Sighting, Tally
from appliance.store.scan_queries import Period
from appliance.store.spend_queries import MinuteSpend, TagSpend

PATTERN = "cost_spike"
HOUR = timedelta(hours=1)
NANO = Decimal("0.000000001")


def detect(
    engine: Engine, until: datetime, settings: CostSpikeLeakSettings
) -> list[Sighting]:
    """Spikes over the hour before `until` (minute-aligned)."""
    hour = Period(until - HOUR, until)
    baseline = Period(hour.since - settings.baseline_hours * HOUR, hour.since)
    sightings = []
    for dimension in settings.tags:
        for spend in spend_queries.tag_spend(engine, dimension, baseline.since, hour):
            if _spiked(spend, settings):
                spike = _Spike(dimension, spend, hour, baseline)
                sightings.append(spike.sighting(engine, settings))
    return sightings


def _spiked(spend: TagSpend, settings: CostSpikeLeakSettings) -> bool:
    if spend.baseline_hours < settings.min_baseline_hours:
        return False
    mean = spend.baseline_usd / settings.baseline_hours
    excess = spend.now_usd - mean
    return spend.now_usd >= settings.factor * mean and excess >= float(
        settings.min_excess_usd
    )


class _Spike:
    """One flagged tag value, turned into a sighting from exact sums."""

    def __init__(
        self, dimension: str, spend: TagSpend, hour: Period, baseline: Period
    ) -> None:
        self.dimension = dimension
        self.spend = spend
        self.hour = hour
        self.baseline = baseline

    def sighting(self, engine: Engine, settings: CostSpikeLeakSettings) -> Sighting:
        ws, tag = self.spend.workspace_id, self.spend.tag
        now = spend_queries.tag_minutes(engine, self.dimension, ws, tag, self.hour)
        before = spend_queries.tag_minutes(
            engine, self.dimension, ws, tag, self.baseline
        )
        minutes = settings.baseline_hours * 60
        usd_share = (sum((m.usd for m in before), Decimal(0)) / minutes).quantize(NANO)
        token_share = round(sum(m.tokens for m in before) / minutes)
        evidence = spend_queries.costliest(
            engine, self.dimension, ws, tag, self.hour, limit=EVIDENCE_IDS
        )
        return Sighting(
            workspace_id=ws,
            pattern=PATTERN,
            subject=f"{self.dimension}={tag}",
            minutes=self._excess(now, usd_share, token_share),
            evidence=evidence,
            detail=self._detail(now, usd_share * 60, settings),
            min_count=1,
            min_usd=Decimal(0),
            **{f"{self.dimension}_tag": tag},
        )

    def _excess(
        self, now: list[MinuteSpend], usd_share: Decimal, token_share: int
    ) -> dict[datetime, Tally]:
        """Each minute of the hour, quiet ones too, less the baseline's share."""
        spent = {m.minute: m for m in now}
        excess = {}
        minute = self.hour.since
        while minute < self.hour.until:
            seen = spent.get(minute) or MinuteSpend(minute, 0, 0, Decimal(0))
            excess[minute] = Tally(
                seen.requests, seen.tokens - token_share, seen.usd - usd_share
            )
            minute += MINUTE
        return excess

    def _detail(
        self,
        now: list[MinuteSpend],
        hourly: Decimal,
        settings: CostSpikeLeakSettings,
    ) -> str:
        spent = sum((m.usd for m in now), Decimal(0))
        times = f"{spent / hourly:.1f} times" if hourly else "with no spend in"
        return (
            f"The {self.dimension} tag {self.spend.tag!r} spent ${spent:.4f} in the "
            f"last hour over {sum(m.requests for m in now)} requests, {times} its "
            f"baseline of ${hourly:.4f} an hour (mean over the "
            f"{settings.baseline_hours} hours before). Estimated waste: spend (and "
            "tokens) above the baseline, minute by minute while the spike lasts."
        )
