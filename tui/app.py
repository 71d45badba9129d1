"""The optera-tui application: screens as modes, one live event worker, and main().

The app owns the admin client, the connection state every screen shows, the
workspace the operator has picked, and the feed of live requests.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.logging import TextualHandler
from textual.reactive import reactive

from tui.client import AdminClient, ApiError, Unauthorized, Unreachable
from tui.link import CONNECTING, OFFLINE, ONLINE, REFUSED, Link
from tui.live import LiveFeed, RequestSeen
from tui.models import Workspace
from tui.options import Target, TokenFile, parse
from tui.screens.help import HelpScreen
from tui.screens.keys import KeysScreen
from tui.screens.leaks import LeaksScreen
from tui.screens.overview import OverviewScreen
from tui.screens.picker import WorkspacePicker
from tui.screens.tags import TagsScreen
from tui.screens.workspaces import WorkspacesScreen

log = logging.getLogger(__name__)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def utcnow() -> datetime:
    return datetime.now(UTC)


class OpteraApp(App[None]):
    """Operate an Optera appliance through its admin API."""

    CSS_PATH = "optera.tcss"
    TITLE = "Optera"
    ENABLE_COMMAND_PALETTE = False
    MODES = {
        "overview": OverviewScreen,
        "workspaces": WorkspacesScreen,
        "keys": KeysScreen,
        "tags": TagsScreen,
        "leaks": LeaksScreen,
    }
    DEFAULT_MODE = "overview"
    BINDINGS = [
        Binding(
            "1",
            "switch_mode('overview')",
            "Overview",
            tooltip="Requests, savings, hit rates",
        ),
        Binding(
            "2",
            "switch_mode('workspaces')",
            "Workspaces",
            tooltip="Plans, quotas, settings",
        ),
        Binding(
            "3", "switch_mode('keys')", "Keys", tooltip="Proxy keys of the workspace"
        ),
        Binding(
            "4", "switch_mode('tags')", "Tags", tooltip="Savings by feature, team, user"
        ),
        Binding(
            "5", "switch_mode('leaks')", "Leaks", tooltip="Wasteful patterns found"
        ),
        Binding(
            "w",
            "pick_workspace",
            "Workspace",
            tooltip="Pick the workspace shown, or all",
        ),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="This help"),
        Binding("q", "quit", "Quit", tooltip="Leave optera-tui"),
    ]

    link: reactive[Link] = reactive(Link(CONNECTING, "Connecting to the admin API"))
    workspace_id: reactive[str | None] = reactive(None)

    def __init__(
        self,
        client: AdminClient,
        retry_seconds: float = 3.0,
        refresh_seconds: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__()
        self.client = client
        self.clock = clock
        self.retry_seconds = retry_seconds
        self.refresh_seconds = refresh_seconds
        self.live = LiveFeed()
        self.names: dict[str, str] = {}

    def on_mount(self) -> None:
        self.run_worker(self._follow_events(), name="events", group="events")

    async def on_unmount(self) -> None:
        await self.client.aclose()

    async def _follow_events(self) -> None:
        """Hold the event stream open; on any failure say so and retry."""
        while True:
            try:
                await self._stream_events()
            except ApiError as error:
                self.report(error)
            except Exception:
                log.exception("live event stream failed")
                self.link = Link(OFFLINE, "The live event stream failed; see the log")
            await asyncio.sleep(self.retry_seconds)

    async def _stream_events(self) -> None:
        await self.client.health()
        self.mark_online()
        async for event in self.client.events():
            self.live.add(event, time.monotonic())
            for screen in self.screen_stack:
                screen.post_message(RequestSeen(event))
        self.link = Link(OFFLINE, "The admin API closed the event stream; reconnecting")

    def mark_online(self) -> None:
        if not self.link.online:
            self.link = Link(ONLINE, f"Connected to {self.client.url}")

    def report(self, error: ApiError) -> None:
        """Show an API failure where it belongs: the banner or a notification."""
        retry = f"retrying every {self.retry_seconds:g} s"
        if isinstance(error, Unauthorized) and error.status:
            message = (
                f"Admin token refused: {error.message} Check --token-file; {retry}."
            )
            self.link = Link(REFUSED, message)
        elif isinstance(error, Unauthorized):
            hint = "pass --token-file or set OPTERA_ADMIN_TOKEN_FILE"
            self.link = Link(REFUSED, f"{error.message}; {hint}; {retry}.")
        elif isinstance(error, Unreachable):
            self.link = Link(OFFLINE, f"{error.message}; {retry}.")
        else:
            self.notify(error.message, title="Admin API", severity="error")

    def remember(self, workspaces: list[Workspace]) -> None:
        self.names = {workspace.id: workspace.name for workspace in workspaces}

    def scope_label(self) -> str:
        if self.workspace_id is None:
            return "all workspaces"
        return f"workspace {self.names.get(self.workspace_id, self.workspace_id)}"

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen, self))

    def action_pick_workspace(self) -> None:
        def chosen(choice: str | None) -> None:
            if choice is not None:
                self.workspace_id = choice or None

        self.push_screen(WorkspacePicker(self.client, self.workspace_id), chosen)


def app_for(target: Target) -> OpteraApp:
    return OpteraApp(AdminClient(target.url, TokenFile(target.token_file)))


def configure_logging(log_file: Path | None) -> None:
    """Logs go to --log-file, else to Textual's devtools console, never the screen."""
    handler: logging.Handler = TextualHandler()
    if log_file is not None:
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    """Console entry point: `optera-tui --url URL --token-file PATH`."""
    target = parse(argv, dict(os.environ))
    configure_logging(target.log_file)
    app_for(target).run()
    return 0
