"""Links the pipeline steps so that each calls the next."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from appliance.pipeline.context import Exchange, Next, Reply

Step = Callable[[Exchange, Next], Awaitable[Reply]]


def chain(steps: Sequence[Step], last: Next) -> Next:
    """One callable that runs `steps` in order, ending in `last`."""
    handler = last
    for step in reversed(steps):
        handler = _Link(step, handler)
    return handler


class _Link:
    """A step bound to what comes after it. Calling it hands back the step's
    own coroutine, so a link adds no coroutine of its own to each request."""

    __slots__ = ("call_next", "step")

    def __init__(self, step: Step, call_next: Next) -> None:
        self.step = step
        self.call_next = call_next

    def __call__(self, exchange: Exchange) -> Awaitable[Reply]:
        return self.step(exchange, self.call_next)
