"""install.sh end to end: install under a prefix, serve, upgrade, uninstall.

The tests run in file order on one installation: each step is what an
operator does next. pip installs from a wheel directory kept between runs
(OPTERA_TEST_WHEELHOUSE, filled from the index once per pyproject.toml), or
with OPTERA_INSTALL_PIP_ARGS when the environment sets it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.fakes.servers import ThreadServer, free_port
from tests.fakes.upstream import FakeUpstream

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "install.sh"
INSTALL_TIMEOUT = 900
START_TIMEOUT = 90
pytestmark = pytest.mark.timeout(INSTALL_TIMEOUT)
# uvicorn re-raises SIGTERM once it has shut down; systemd counts that as clean.
CLEAN_STOP = (0, -signal.SIGTERM)


@dataclass
class Installation:
    prefix: Path
    pip_args: str

    @property
    def optera(self) -> Path:
        return self.prefix / "bin" / "optera"

    @property
    def config(self) -> Path:
        return self.prefix / "etc" / "optera.toml"

    @property
    def data(self) -> Path:
        return self.prefix / "data"

    def run_script(self, *options: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "OPTERA_INSTALL_PIP_ARGS": self.pip_args}
        env.pop("PYTHON", None)
        return subprocess.run(
            ["bash", str(INSTALL), "--prefix", str(self.prefix), *options],
            env=env,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )

    def install(self) -> subprocess.CompletedProcess[str]:
        done = self.run_script("--no-systemd", "--no-start")
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def cli(self, *args: str) -> object:
        done = subprocess.run(
            [str(self.optera), *args, "--json"],
            env=process_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


def process_env(**extra: str) -> dict[str, str]:
    """The environment for installed commands, writing bytecode on first import.

    The test installs with --no-compile (compiling every dependency costs more
    than it saves); the later commands then reuse what the first one compiled.
    """
    env = {**os.environ, **extra}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def wheelhouse() -> Path:
    """Wheels for every dependency, downloaded again only when pyproject changes."""
    default = Path.home() / ".cache" / "optera-install-test" / "wheels"
    root = Path(os.environ.get("OPTERA_TEST_WHEELHOUSE", default))
    pyproject = (REPO / "pyproject.toml").read_bytes()
    stamp = hashlib.sha256(pyproject).hexdigest()
    marker = root / "pyproject.sha256"
    if marker.is_file() and marker.read_text() == stamp:
        return root
    meta = tomllib.loads(pyproject.decode())
    wanted = [*meta["project"]["dependencies"], *meta["build-system"]["requires"]]
    root.mkdir(parents=True, exist_ok=True)
    download = [sys.executable, "-m", "pip", "download", "--quiet", "-d", str(root)]
    subprocess.run(
        [*download, *wanted, "wheel"],
        check=True,
        timeout=INSTALL_TIMEOUT,
    )
    marker.write_text(stamp)
    return root


def pip_args() -> str:
    if "OPTERA_INSTALL_PIP_ARGS" in os.environ:
        return os.environ["OPTERA_INSTALL_PIP_ARGS"]
    return f"--no-index --find-links {wheelhouse()} --no-compile"


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[FakeUpstream, ThreadServer]]:
    fake = FakeUpstream()
    server = ThreadServer(fake).start()
    yield fake, server
    server.stop()


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Installation:
    prefix = tmp_path_factory.mktemp("install") / "optera"
    return Installation(prefix, pip_args())


@pytest.fixture(scope="module")
def first_install(installation: Installation) -> subprocess.CompletedProcess[str]:
    return installation.install()


@pytest.fixture(scope="module")
def proxy_key(
    installation: Installation, first_install: subprocess.CompletedProcess[str]
) -> str:
    """A live key of an active workspace, made with the installed CLI."""
    workspace = installation.cli("workspace", "create", "--name", "acme")
    assert isinstance(workspace, dict)
    installation.cli("subscription", "activate", workspace["id"])
    issued = installation.cli("key", "issue", workspace["id"])
    assert isinstance(issued, dict)
    return issued["key"]


@pytest.fixture
def served(
    installation: Installation,
    upstream: tuple[FakeUpstream, ThreadServer],
    tmp_path: Path,
) -> Iterator[Served]:
    port = free_port()
    env = process_env(
        OPTERA_PORT=str(port),
        OPTERA_ADMIN_PORT=str(free_port()),
        OPTERA_OPENAI_BASE_URL=upstream[1].url + "/v1",
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(installation.optera), "serve"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    running = Served(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_ready(running)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def wait_ready(served: Served) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            pytest.fail("optera serve exited:\n" + served.output())
        try:
            if httpx.get(served.url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail("optera serve was not ready in time:\n" + served.output())


def chat(served: Served, key: str) -> httpx.Response:
    return httpx.post(
        served.url + "/v1/chat/completions",
        headers={
            "Authorization": "Bearer sk-upstream-test",
            "x-proxy-key": key,
            "x-feature-tag": "install-test",
        },
        json={
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "What is the capital of France?"}],
        },
        timeout=60,
    )


def without_table(text: str, name: str) -> str:
    """A config as an older release wrote it: without table `name` and its subtables."""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            header = line.strip().strip("[]")
            skipping = header == name or header.startswith(name + ".")
        if not skipping:
            kept.append(line)
    return "".join(kept)


def requests_counted(installation: Installation) -> int:
    rows = installation.cli("usage", "--by", "feature")
    assert isinstance(rows, list)
    return sum(row["requests"] for row in rows if row["feature"] == "install-test")


def test_install_lays_out_venv_config_data_and_private_admin_token(
    installation: Installation, first_install: subprocess.CompletedProcess[str]
) -> None:
    assert (installation.prefix / "venv" / "bin" / "optera").is_file()
    assert os.access(installation.optera, os.X_OK)
    assert os.access(installation.prefix / "bin" / "optera-tui", os.X_OK)
    config = tomllib.loads(installation.config.read_text())
    assert config["server"]["data_dir"] == str(installation.data)
    assert config["server"]["port"] == 8080
    token = installation.data / "admin.token"
    assert token.stat().st_mode & 0o777 == 0o600
    assert len(token.read_text().strip()) >= 43
    assert "optera workspace create" in first_install.stdout
    assert 'base_url="http://127.0.0.1:8080/v1"' in first_install.stdout


def test_install_without_internet_skips_the_tokenizer_fetch(
    first_install: subprocess.CompletedProcess[str], installation: Installation
) -> None:
    tiktoken_dir = installation.data / "tiktoken"
    fetched = len(list(tiktoken_dir.iterdir())) == 2
    assert fetched or "No internet: skipped fetching tokenizer" in first_install.stdout
    assert "ships with the package" in first_install.stdout


def test_installed_command_passes_a_request_to_the_upstream(
    upstream: tuple[FakeUpstream, ThreadServer], proxy_key: str, served: Served
) -> None:
    fake = upstream[0]

    response = chat(served, proxy_key)

    assert proxy_key.startswith("opk_")
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == fake.text
    assert response.headers["x-cache-hit"] == "false"
    assert fake.seen[-1].headers["authorization"] == "Bearer sk-upstream-test"


def test_sigterm_stops_the_server_and_flushes_usage(
    installation: Installation, proxy_key: str, served: Served
) -> None:
    before = requests_counted(installation)
    assert chat(served, proxy_key).status_code == 200

    status = served.stop()

    assert status in CLEAN_STOP, served.output()
    assert "Application shutdown complete" in served.output()
    assert requests_counted(installation) == before + 1


def test_upgrade_keeps_config_and_data_and_reports_new_settings(
    installation: Installation, proxy_key: str
) -> None:
    edited = without_table(installation.config.read_text(), "leaks")
    edited = edited.replace("capacity = 200", "capacity = 7")
    installation.config.write_text(edited)
    shipped = (REPO / "config" / "optera.toml").read_text()
    leak_settings = [
        f"leaks.{key} = {json.dumps(value)}"
        for key, value in tomllib.loads(shipped)["leaks"].items()
        if not isinstance(value, dict)
    ]
    token = (installation.data / "admin.token").read_text()
    database = (installation.data / "optera.db").stat()
    counted = requests_counted(installation)

    upgrade = installation.install()

    assert installation.config.read_text() == edited
    assert "capacity = 7" in edited
    assert "leaks.enabled = true" in leak_settings
    assert all(setting in upgrade.stdout for setting in leak_settings)
    assert "burst.capacity" not in upgrade.stdout
    assert (installation.data / "admin.token").read_text() == token
    assert (installation.data / "optera.db").stat().st_ino == database.st_ino
    assert requests_counted(installation) == counted
    assert Path(str(installation.config) + ".dist").read_text() == shipped


def test_upgraded_install_still_serves_the_issued_key(
    proxy_key: str, served: Served
) -> None:
    response = chat(served, proxy_key)

    assert response.status_code == 200, response.text
    assert served.stop() in CLEAN_STOP


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not here"
)
def test_unit_for_the_installed_paths_passes_systemd_analyze_verify(
    installation: Installation,
    first_install: subprocess.CompletedProcess[str],
    tmp_path: Path,
) -> None:
    printed = installation.run_script("--print-unit")
    assert printed.returncode == 0, printed.stderr
    assert f"ExecStart={installation.prefix}/venv/bin/optera serve" in printed.stdout
    assert f"ReadWritePaths={installation.data}" in printed.stdout
    unit = tmp_path / "optera.service"
    unit.write_text(printed.stdout)

    verified = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert verified.returncode == 0, verified.stderr
    assert str(unit) not in verified.stderr, verified.stderr


def test_uninstall_removes_the_code_and_keeps_the_data(
    installation: Installation, first_install: subprocess.CompletedProcess[str]
) -> None:
    done = installation.run_script("--uninstall", "--no-systemd")

    assert done.returncode == 0, done.stderr
    assert not (installation.prefix / "venv").exists()
    assert not (installation.prefix / "bin").exists()
    assert not installation.config.exists()
    assert (installation.data / "optera.db").is_file()
    assert (installation.data / "admin.token").is_file()


def test_uninstall_with_purge_removes_the_data(
    installation: Installation, first_install: subprocess.CompletedProcess[str]
) -> None:
    done = installation.run_script("--uninstall", "--purge", "--no-systemd")

    assert done.returncode == 0, done.stderr
    assert not installation.prefix.exists()


def test_install_refuses_a_python_older_than_3_11(tmp_path: Path) -> None:
    old = tmp_path / "python3.9"
    old.write_text('#!/bin/sh\necho "Python 3.9.2"\nexit 1\n')
    old.chmod(0o755)
    env = {**os.environ, "PYTHON": str(old)}

    done = subprocess.run(
        ["bash", str(INSTALL), "--prefix", str(tmp_path / "p"), "--no-systemd"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    assert "needs Python >= 3.11, found Python 3.9.2" in done.stderr
    assert not (tmp_path / "p" / "venv").exists()
