"""Starting the benchmark's servers as processes on loopback, and waiting for them."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} never opened")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(
    pids: list[int], share: float = 0.03, window: float = 0.5, timeout: float = 180
) -> None:
    """Until every process uses under `share` of a core over `window` seconds.

    A server that opened its port may still be loading a model, building its
    router or freezing its startup heap; on two cores that work would land in
    the figures of whatever is measured first.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = [cpu_seconds(pid) for pid in pids]
        time.sleep(window)
        used = [cpu_seconds(pid) - b for pid, b in zip(pids, before, strict=True)]
        if max(used) < share * window:
            return
    raise RuntimeError(f"processes {pids} never went idle")


def start(args: list[str], env: dict | None = None) -> subprocess.Popen:
    """A server process; its output goes to BENCH_LOGS/<n>-<name>.log when that
    directory is set, and is dropped otherwise."""
    logs = os.environ.get("BENCH_LOGS")
    output: Any = subprocess.DEVNULL
    if logs:
        Path(logs).mkdir(parents=True, exist_ok=True)
        name = Path(args[1] if args[1] != "-m" else args[-1]).stem
        output = (Path(logs) / f"{len(_started)}-{name}.log").open("ab")
        _started.append(output)
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=output,
        stderr=output,
    )


_started: list[Any] = []
