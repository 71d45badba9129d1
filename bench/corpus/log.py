"""A deploy log pasted into a chat: retries, a stack trace printed per worker."""

from __future__ import annotations

from typing import Any

TRACE = [
    "Traceback (most recent call last):",
    '  File "/srv/app/worker.py", line 88, in run',
    "    conn = pool.acquire(timeout=5)",
    '  File "/srv/app/db/pool.py", line 142, in acquire',
    '    raise PoolTimeout(f"no connection after {timeout}s")',
    "db.pool.PoolTimeout: no connection after 5s",
]


def _log() -> str:
    lines = [
        "2024-05-01T12:00:00Z deploy 7f3c2a1 started by ci@contoso   ",
        "2024-05-01T12:00:02Z pulling image registry.contoso.io/app:7f3c2a1",
        "2024-05-01T12:00:19Z image pulled (412 MB)",
        "2024-05-01T12:00:20Z running migrations",
        "",
        "",
        "",
    ]
    lines += ["npm WARN deprecated request@2.88.2: request has been deprecated"] * 25
    lines += ["2024-05-01T12:01:05Z starting 16 workers"]
    lines += ["WARN  db pool: waiting for a free connection (max=10)"] * 120
    for _worker in range(16):
        lines += TRACE
    lines += [
        "",
        "",
        "",
        "",
        "2024-05-01T12:01:41Z health check failed: 0/16 workers ready",
        "2024-05-01T12:01:41Z rolling back to 5e9d003",
        "2024-05-01T12:02:10Z rollback complete",
    ]
    return "\n".join(lines)


def request() -> dict[str, Any]:
    user = (
        "Hello!\nOur deploy failed this morning. Here is the log:\n\n"
        f"{_log()}\n\n"
        "Why did the workers never become ready, and what should we change "
        "before we retry?\n\nThanks!"
    )
    return {
        "model": "gpt-4o",
        "messages": [
            {
                "role": "system",
                "content": "You are a senior site reliability engineer.",
            },
            {"role": "user", "content": user},
        ],
    }
