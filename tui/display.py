"""How money, counts, rates, times and quotas are written on screen."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from rich.text import Text

NOTHING = "—"
ZERO = Decimal(0)
CENTS = Decimal("0.01")
TENTHS_OF_CENTS = Decimal("0.0001")


def usd(value: Decimal) -> str:
    """Dollars: cents above a dollar, four places below so small savings show."""
    places = CENTS if abs(value) >= 1 or value == 0 else TENTHS_OF_CENTS
    rounded = value.quantize(places, rounding=ROUND_HALF_UP)
    return f"${rounded:,}"


def number(value: int) -> str:
    return f"{value:,}"


def percent(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"


def when(value: datetime | None) -> str:
    if value is None:
        return NOTHING
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def tags(feature: str | None, team: str | None, user: str | None) -> str:
    parts = [
        f"{kind}={tag}" for kind, tag in (("f", feature), ("t", team), ("u", user))
    ]
    return " ".join(part for part in parts if not part.endswith("=None")) or NOTHING


def quota_bar(used: int, limit: int, width: int = 8) -> Text:
    """A bar of the quota used this cycle, green to red as it fills."""
    fraction = min(used / limit, 1.0) if limit > 0 else 0.0
    filled = round(fraction * width)
    style = "green" if fraction < 0.75 else "yellow" if fraction < 0.9 else "red"
    bar = Text()
    bar.append("█" * filled, style=style)
    bar.append("░" * (width - filled), style="dim")
    bar.append(f" {number(used)}/{number(limit)}")
    return bar


def subscription(status: str) -> Text:
    style = {"active": "bold green", "canceled": "red"}.get(status, "yellow")
    return Text(status, style=style)
