"""Links the pipeline steps so that each calls the next."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from appliance.pipeline.context import Exchange, Next, Reply

Step = Callable[[Exchange, Next], Awaitable[Reply]]


def chain(steps: Sequence[Step], last: Next) -> Next:
    """One callable that runs `steps` in order, ending in `last`."""
    handler = last
    for step in reversed(steps):
        handler = _link(step, handler)
    return handler


def _link(step: Step, call_next: Next) -> Next:
    async def run(exchange: Exchange) -> Reply:
        return await step(exchange, call_next)

    return run
