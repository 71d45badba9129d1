"""How figures are written: dollars, quotas, the settings summary, merge patches."""

from __future__ import annotations

from decimal import Decimal

from tui import display
from tui.screens.settings_form import merge_patch, summary


def test_dollars_show_cents_above_a_dollar_and_four_places_below():
    assert display.usd(Decimal("1234.567")) == "$1,234.57"
    assert display.usd(Decimal("0.00475")) == "$0.0048"
    assert display.usd(Decimal(0)) == "$0.00"


def test_quota_bar_fills_with_use_and_turns_red_near_the_limit():
    bar = display.quota_bar(19_500, 20_000, width=8)
    assert bar.plain == "████████ 19,500/20,000"
    assert bar.spans[0].style == "red"
    empty = display.quota_bar(0, 100_000, width=8)
    assert empty.plain == "░░░░░░░░ 0/100,000"


def test_quota_bar_of_a_zero_quota_is_empty_not_a_division_error():
    assert display.quota_bar(5, 0, width=4).plain == "░░░░ 5/0"


def test_settings_summary_names_what_is_off():
    settings = {
        "exact_cache": True,
        "semantic_cache": False,
        "routing": True,
        "compression": {"preamble": True, "summarize": False},
        "store_prompts": True,
    }
    assert summary(settings) == "off: sem sum, stores prompts"
    assert summary({"exact_cache": True, "compression": {"tools": True}}) == "all on"


def test_merge_patch_holds_only_changes_and_nulls_removed_overrides():
    current = {
        "exact_cache": True,
        "semantic_cache": True,
        "compression": {"preamble": True, "tools": True},
        "route_overrides": {"gpt-4o": "gpt-4o-mini", "o1": "o3-mini"},
        "overrides": {"semantic_cache": True},
    }
    wanted = {
        "exact_cache": True,
        "semantic_cache": False,
        "compression": {"preamble": True, "tools": False},
        "route_overrides": {"gpt-4o": "gpt-4o-mini"},
    }
    assert merge_patch(current, wanted) == {
        "semantic_cache": False,
        "compression": {"tools": False},
        "route_overrides": {"o1": None},
    }
