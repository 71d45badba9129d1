"""Where optera-tui connects by default, and how it reads the admin token."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.app import app_for
from tui.client import Unauthorized
from tui.options import TokenFile, parse


def write_config(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


def test_command_line_wins_over_environment(tmp_path):
    env = {"OPTERA_ADMIN_URL": "http://elsewhere:1", "OPTERA_CONFIG": "/nonexistent"}
    target = parse(
        ["--url", "http://10.0.0.5:9000", "--token-file", str(tmp_path / "t")],
        {**env, "OPTERA_CONFIG": str(write_config(tmp_path / "c.toml", ""))},
    )
    assert target.url == "http://10.0.0.5:9000"
    assert target.token_file == tmp_path / "t"


def test_defaults_come_from_the_config_file_admin_port_and_data_dir(tmp_path):
    config = write_config(
        tmp_path / "optera.toml",
        f'[server]\nadmin_port = 9191\ndata_dir = "{tmp_path / "data"}"\n',
    )
    target = parse([], {"OPTERA_CONFIG": str(config)})
    assert target.url == "http://127.0.0.1:9191"
    assert target.token_file == tmp_path / "data" / "admin.token"


def test_environment_names_url_and_token_file(tmp_path):
    config = write_config(tmp_path / "optera.toml", "")
    env = {
        "OPTERA_CONFIG": str(config),
        "OPTERA_ADMIN_URL": "http://box:8081",
        "OPTERA_ADMIN_TOKEN_FILE": str(tmp_path / "secret.token"),
    }
    target = parse([], env)
    assert target.url == "http://box:8081"
    assert target.token_file == tmp_path / "secret.token"


def test_admin_listener_on_all_interfaces_is_reached_on_loopback(tmp_path):
    config = write_config(
        tmp_path / "optera.toml",
        '[server]\nadmin_host = "0.0.0.0"\nadmin_port = 8082\n',
    )
    assert parse([], {"OPTERA_CONFIG": str(config)}).url == "http://127.0.0.1:8082"


def test_token_file_is_read_again_after_it_changes(tmp_path):
    path = tmp_path / "admin.token"
    path.write_text("first\n", encoding="utf-8")
    token = TokenFile(path)
    assert token() == "first"
    path.write_text("second\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))
    assert token() == "second"


def test_missing_token_file_is_reported_as_unauthorized_with_its_path(tmp_path):
    with pytest.raises(Unauthorized, match=r"admin token file .*nope\.token"):
        TokenFile(tmp_path / "nope.token")()


def test_empty_token_file_is_refused(tmp_path):
    path = tmp_path / "admin.token"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(Unauthorized, match="is empty"):
        TokenFile(path)()


def test_app_is_wired_to_the_url_and_token_file_of_the_command_line(tmp_path):
    token = tmp_path / "admin.token"
    token.write_text("tok\n", encoding="utf-8")
    argv = ["--url", "http://box:9", "--token-file", str(token), "--log-file", "x.log"]
    target = parse(argv, {"OPTERA_CONFIG": str(write_config(tmp_path / "c.toml", ""))})
    assert target.log_file == Path("x.log")
    app = app_for(target)
    assert app.client.url == "http://box:9"
    assert app.client._token() == "tok"
