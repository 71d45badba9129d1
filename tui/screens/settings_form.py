"""The dialog that switches a workspace's optimizations on and off.

Only what changed is sent (a merge patch with PUT); it applies to the next request.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, Switch

SWITCHES = (
    ("exact_cache", "Exact cache"),
    ("semantic_cache", "Semantic cache"),
    ("routing", "Routing to cheaper models"),
    ("store_prompts", "Store prompt text"),
)
COMPRESSION = (
    ("preamble", "Compress: preamble"),
    ("repetition", "Compress: repetition"),
    ("summarize", "Compress: summarize history"),
    ("tools", "Compress: tool definitions"),
    ("images", "Compress: images"),
    ("provider_cache_breakpoints", "Provider cache breakpoints"),
)
SHORT = {
    "exact_cache": "exact",
    "semantic_cache": "sem",
    "routing": "route",
    "preamble": "pre",
    "repetition": "rep",
    "summarize": "sum",
    "tools": "tools",
    "images": "img",
    "provider_cache_breakpoints": "bp",
}


def summary(settings: dict[str, Any]) -> str:
    """The optimizations that are off, in short words (most are usually on)."""
    compression = settings.get("compression") or {}
    off = [SHORT[name] for name in SHORT if name in settings and not settings[name]]
    off += [
        SHORT[name] for name in SHORT if name in compression and not compression[name]
    ]
    shown = "off: " + " ".join(off) if off else "all on"
    return shown + (", stores prompts" if settings.get("store_prompts") else "")


class SettingsDialog(ModalScreen[dict[str, Any] | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, name: str, settings: dict[str, Any]) -> None:
        super().__init__(classes="dialog")
        self.workspace_name = name
        self.settings = settings

    def compose(self) -> ComposeResult:
        settings = self.settings
        compression = settings.get("compression") or {}
        with Vertical(classes="dialog-box wide"):
            yield Static(
                f"Optimizations of {self.workspace_name}", classes="dialog-title"
            )
            with VerticalScroll(id="settings-fields"):
                for name, label in SWITCHES:
                    yield _switch(name, label, bool(settings.get(name)))
                for name, label in COMPRESSION:
                    yield _switch(name, label, bool(compression.get(name)))
                yield Label("Semantic threshold (0-1)")
                threshold = str(settings.get("semantic_threshold", ""))
                yield Input(threshold, id="semantic_threshold", type="number")
                yield Label("Cache TTL, seconds")
                ttl = str(settings.get("cache_ttl_seconds", ""))
                yield Input(ttl, id="cache_ttl_seconds", type="integer")
                yield Label("Route overrides: model=target, ...")
                overrides = settings.get("route_overrides") or {}
                pairs = ", ".join(f"{k}={v}" for k, v in overrides.items())
                yield Input(pairs, id="route_overrides")
            yield Static("", id="problem", classes="dialog-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        try:
            self.dismiss(self._collect())
        except ValueError as error:
            self.query_one("#problem", Static).update(str(error))

    def _collect(self) -> dict[str, Any]:
        """A JSON merge patch of what the operator changed, nothing else."""
        wanted: dict[str, Any] = {
            name: self.query_one(f"#{name}", Switch).value for name, _ in SWITCHES
        }
        wanted["compression"] = {
            name: self.query_one(f"#{name}", Switch).value for name, _ in COMPRESSION
        }
        threshold = self.query_one("#semantic_threshold", Input).value.strip()
        if threshold:
            wanted["semantic_threshold"] = _threshold(threshold)
        ttl = self.query_one("#cache_ttl_seconds", Input).value.strip()
        if ttl:
            wanted["cache_ttl_seconds"] = int(ttl)
        pairs = self.query_one("#route_overrides", Input).value
        wanted["route_overrides"] = _overrides(pairs)
        return merge_patch(self.settings, wanted)


def merge_patch(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """What turns `current` into `wanted`; null removes a key (RFC 7386)."""
    patch: dict[str, Any] = {}
    for name, value in wanted.items():
        old = current.get(name)
        if isinstance(value, dict):
            old = old if isinstance(old, dict) else {}
            inner: dict[str, Any] = {k: v for k, v in value.items() if old.get(k) != v}
            inner.update({k: None for k in old if k not in value})
            if inner:
                patch[name] = inner
        elif value != old:
            patch[name] = value
    return patch


def _switch(name: str, label: str, value: bool) -> Horizontal:
    return Horizontal(
        Switch(value, id=name, animate=False),
        Label(label, classes="switch-label"),
        classes="switch-row",
    )


def _threshold(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise ValueError("The semantic threshold must be above 0 and at most 1.")
    return value


def _overrides(text: str) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        model, sep, target = pair.partition("=")
        if not sep or not model.strip() or not target.strip():
            raise ValueError(f"Write route overrides as model=target, not {pair!r}.")
        overrides[model.strip()] = target.strip()
    return overrides
