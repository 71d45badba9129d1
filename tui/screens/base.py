"""What every main screen shares: the banner, the footer, and how data is loaded.

A screen loads its data in a worker when it is shown, every few seconds while
it is shown, after each action, and every retry interval while the API is
out of reach, so it comes back by itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, cast

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from tui.client import ApiError
from tui.link import Link
from tui.widgets.banner import Banner

if TYPE_CHECKING:
    from tui.app import OpteraApp


class MainScreen(Screen[None]):
    """A screen of the app's main modes."""

    TITLE = ""
    loading = False

    @property
    def optera(self) -> OpteraApp:
        return cast("OpteraApp", self.app)

    def compose(self) -> ComposeResult:
        yield Banner(self.TITLE)
        yield from self.body()
        yield Footer(compact=True)

    def body(self) -> Iterable[Widget]:
        return ()

    async def load(self) -> None:
        """Fetch this screen's data from the admin API and show it."""

    def on_mount(self) -> None:
        self._show_banner()
        self.set_interval(self.optera.refresh_seconds, self.reload)
        self.set_interval(self.optera.retry_seconds, self._retry)
        self.watch(self.optera, "link", self._link_changed, init=False)
        self.watch(self.optera, "workspace_id", self._scope_changed, init=False)

    def on_screen_resume(self) -> None:
        self._show_banner()
        self.reload()

    def reload(self) -> None:
        if self.is_current:
            self._load_in_worker()

    @work(group="load", exclusive=True)
    async def _load_in_worker(self) -> None:
        await self._load()

    def _retry(self) -> None:
        """While the API is out of reach, try this screen's load again soon."""
        if not self.optera.link.online and not self.loading:
            self.reload()

    def act(self, call: Awaitable[object], done: str) -> None:
        """Run one action on the API, then say so and show the new state."""
        self.run_worker(self._act(call, done), group="act")

    async def _act(self, call: Awaitable[object], done: str) -> None:
        try:
            await call
        except ApiError as error:
            self.optera.report(error)
            return
        self.notify(done)
        await self._load()

    async def _load(self) -> None:
        self.loading = True
        try:
            await self.load()
        except ApiError as error:
            self.optera.report(error)
            return
        finally:
            self.loading = False
        self.optera.mark_online()

    def _show_banner(self) -> None:
        banner = self.query_one(Banner)
        banner.show_scope(self.optera.scope_label())
        banner.show_link(self.optera.link, self.optera.client.url)

    def _link_changed(self, old: Link, new: Link) -> None:
        self._show_banner()
        if new.online and not old.online:
            self.reload()

    def _scope_changed(self) -> None:
        self._show_banner()
        self.reload()
