"""The admin API: its own listener, one controller module per resource.

health, workspaces, subscriptions, keys, optimization (per-workspace settings),
usage, events (live SSE), leaks; plus /metrics for Prometheus. Every call needs
the admin token (auth.py); errors answer as {"error": {"message", "code"}}.
"""
