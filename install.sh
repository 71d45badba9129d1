#!/usr/bin/env bash
# Installs, upgrades or removes the Optera appliance on one Debian or Ubuntu VM.
# Safe to run again: a second run upgrades the code and keeps config and data.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: install.sh [options]

Installs Optera from this checkout as a systemd service, or upgrades it.

  --prefix DIR    put everything under DIR: DIR/venv, DIR/etc/optera.toml,
                  DIR/data and DIR/bin (default: /opt/optera/venv,
                  /etc/optera, /var/lib/optera, /usr/local/bin)
  --no-systemd    no service user and no unit; print how to start instead
                  (with --prefix this needs no root)
  --no-start      install and enable the unit but leave the service as it is
  --offline       do not try to fetch embedding models or tokenizer files
  --uninstall     remove the code, config, unit and commands; keep the data
  --purge         with --uninstall: remove the data and the service user too
  --print-unit    print the systemd unit for these paths and exit
  -h, --help      this text

Environment:
  PYTHON                    interpreter for the venv (default: python3, >= 3.11)
  OPTERA_INSTALL_PIP_ARGS   extra arguments for pip install (wheel dirs, indexes)
  OPTERA_HEALTH_TIMEOUT     seconds to wait for /healthz after a start (60)
EOF
}

readonly SERVICE_USER=optera
readonly UNIT_NAME=optera.service
readonly MARKER="# Installed by Optera's install.sh."
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SRC_DIR

PREFIX=""
USE_SYSTEMD=1
START=1
FETCH=1
ACTION=install
PURGE=0

say() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

parse_args() {
    while (($#)); do
        case $1 in
            --prefix) PREFIX=${2:?--prefix needs a directory}; shift ;;
            --prefix=*) PREFIX=${1#--prefix=} ;;
            --no-systemd) USE_SYSTEMD=0 ;;
            --no-start) START=0 ;;
            --offline) FETCH=0 ;;
            --uninstall) ACTION=uninstall ;;
            --purge) PURGE=1 ;;
            --print-unit) ACTION=print-unit ;;
            -h | --help) usage; exit 0 ;;
            *) usage >&2; die "unknown option: $1" ;;
        esac
        shift
    done
    if ((PURGE)) && [[ $ACTION != uninstall ]]; then
        die "--purge only goes with --uninstall"
    fi
}

set_layout() {
    if [[ -n $PREFIX ]]; then
        PREFIX=$(realpath -m "$PREFIX")
        VENV=$PREFIX/venv
        CONF_DIR=$PREFIX/etc
        DATA_DIR=$PREFIX/data
        BIN_DIR=$PREFIX/bin
    else
        VENV=/opt/optera/venv
        CONF_DIR=/etc/optera
        DATA_DIR=/var/lib/optera
        BIN_DIR=/usr/local/bin
    fi
    CONF_FILE=$CONF_DIR/optera.toml
    UNIT_FILE=/etc/systemd/system/$UNIT_NAME
    VENV_PY=$VENV/bin/python
}

check_privileges() {
    if ((USE_SYSTEMD)); then
        [[ $EUID -eq 0 ]] || die "run as root, or use --prefix DIR --no-systemd"
        command -v systemctl >/dev/null || die "systemctl not found: use --no-systemd"
    elif [[ -z $PREFIX && $EUID -ne 0 ]]; then
        die "the default paths need root: run as root or pass --prefix DIR"
    fi
}

python_ok() {
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

find_python() {
    local candidate candidates=(python3 python3.13 python3.12 python3.11)
    if ((USE_SYSTEMD)); then
        # The service user must reach the interpreter: an interpreter under
        # root's home (pyenv, for one) would not start.
        candidates=(/usr/bin/python3 /usr/bin/python3.1[1-9] "${candidates[@]}")
    fi
    [[ -n ${PYTHON:-} ]] && candidates=("$PYTHON")
    for candidate in "${candidates[@]}"; do
        if command -v "$candidate" >/dev/null && python_ok "$candidate"; then
            command -v "$candidate"
            return
        fi
    done
    die "Optera needs Python >= 3.11, found" \
        "$("${candidates[0]}" --version 2>&1 | head -n 1);" \
        "install python3.11 or newer and pass PYTHON=/path/to/python3.11"
}

create_user() {
    if id -u "$SERVICE_USER" >/dev/null 2>&1; then
        return
    fi
    say "Creating system user $SERVICE_USER"
    useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home \
        --shell /usr/sbin/nologin "$SERVICE_USER"
}

make_dirs() {
    mkdir -p "$CONF_DIR" "$BIN_DIR" "$(dirname "$VENV")"
    mkdir -p "$DATA_DIR"
    chmod 0750 "$DATA_DIR"
}

venv_usable() {
    [[ -x $VENV_PY ]] && python_ok "$VENV_PY" || return 1
    if ((USE_SYSTEMD)); then
        runuser -u "$SERVICE_USER" -- "$VENV_PY" -c '' 2>/dev/null || return 1
    fi
}

make_venv() {
    if venv_usable; then
        say "Reusing the virtual environment in $VENV"
        return
    fi
    if [[ -e $VENV ]]; then
        say "Replacing the virtual environment in $VENV: it does not run"
        remove_venv
    fi
    say "Creating a virtual environment in $VENV ($("$PYTHON" --version))"
    "$PYTHON" -m venv "$VENV" ||
        die "python -m venv failed; on Debian or Ubuntu: apt-get install python3-venv"
    venv_usable || die "user $SERVICE_USER cannot run $PYTHON (under a home" \
        "directory?); pass PYTHON=/usr/bin/python3 or another system interpreter"
}

install_package() {
    BUILD_DIR=$(mktemp -d)
    trap 'rm -rf "$BUILD_DIR"' EXIT
    # Build from a clean copy: a stale build/ in the checkout would ship
    # modules that were deleted since, and the checkout may be read-only.
    tar -C "$SRC_DIR" -cf - \
        --exclude=./.git --exclude=./.venv --exclude=./venv --exclude=./data \
        --exclude=./build --exclude=./dist --exclude='*.egg-info' \
        --exclude=__pycache__ --exclude='.*_cache' --exclude=./tests . |
        tar -C "$BUILD_DIR" -xf -
    say "Installing Optera and its dependencies from $SRC_DIR (a minute or two)"
    # shellcheck disable=SC2086  # the extra pip arguments are split on purpose
    "$VENV_PY" -m pip install --quiet --upgrade ${OPTERA_INSTALL_PIP_ARGS:-} \
        "$BUILD_DIR" || die "pip install failed (see above)"
}

install_config() {
    local shipped=$SRC_DIR/config/optera.toml
    [[ -f $shipped ]] || die "$shipped is missing from this checkout"
    install -m 0644 "$shipped" "$CONF_FILE.dist"
    if [[ -f $CONF_FILE ]]; then
        say "Keeping your config $CONF_FILE"
        report_new_settings "$shipped" "$CONF_FILE"
    else
        say "Writing the config $CONF_FILE"
        write_first_config "$shipped" "$CONF_FILE"
    fi
    if ((USE_SYSTEMD)); then
        chown "root:$SERVICE_USER" "$CONF_FILE"
        chmod 0640 "$CONF_FILE"
    fi
}

write_first_config() {
    # The shipped data_dir is relative to a checkout; point it at DATA_DIR.
    "$VENV_PY" - "$1" "$2" "$DATA_DIR" <<'PY'
import json
import re
import sys
import tomllib
from pathlib import Path

shipped, target, data_dir = sys.argv[1:4]
text = Path(shipped).read_text()
line = f"data_dir = {json.dumps(data_dir)}"
text, count = re.subn(r"(?m)^data_dir\s*=.*$", lambda _: line, text, count=1)
if count == 0:
    text = re.sub(r"(?m)^\[server\]\s*$", lambda m: m.group(0) + "\n" + line, text)
if tomllib.loads(text).get("server", {}).get("data_dir") != data_dir:
    sys.exit(f"could not set server.data_dir in {target}")
staged = Path(target + ".tmp")
staged.write_text(text)
staged.replace(target)
PY
}

report_new_settings() {
    "$VENV_PY" - "$1" "$2" <<'PY'
import json
import sys
import tomllib


def flatten(table, prefix=""):
    for key, value in table.items():
        if isinstance(value, dict) and value:
            yield from flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def load(path):
    with open(path, "rb") as handle:
        return dict(flatten(tomllib.load(handle)))


shipped, installed = load(sys.argv[1]), load(sys.argv[2])
new = [key for key in shipped if key not in installed]
if new:
    print(f"    New settings in this version, not in {sys.argv[2]}")
    print("    (their defaults apply; see the .dist file beside it):")
    for key in new:
        print(f"      {key} = {json.dumps(shipped[key])}")
PY
}

config_get() {
    "$VENV_PY" - "$CONF_FILE" "$1" "${2:-}" <<'PY'
import sys
import tomllib

path, dotted, default = sys.argv[1:4]
with open(path, "rb") as handle:
    value = tomllib.load(handle)
for part in dotted.split("."):
    value = value.get(part) if isinstance(value, dict) else None
print(default if value in (None, "") else value)
PY
}

install_wrappers() {
    local name
    for name in optera optera-tui; do
        write_wrapper "$name" >"$BIN_DIR/$name.tmp"
        chmod 0755 "$BIN_DIR/$name.tmp"
        mv "$BIN_DIR/$name.tmp" "$BIN_DIR/$name"
    done
}

write_wrapper() {
    printf '#!/bin/sh\n%s\n' "$MARKER"
    if ((USE_SYSTEMD)); then
        # Root would leave files in the data directory that the service
        # cannot write: commands run as the service user instead.
        cat <<EOF
[ "\$(id -u)" -eq 0 ] && exec runuser -u $SERVICE_USER -- "\$0" "\$@"
EOF
    fi
    cat <<EOF
export OPTERA_CONFIG="\${OPTERA_CONFIG:-$CONF_FILE}"
export TIKTOKEN_CACHE_DIR="\${TIKTOKEN_CACHE_DIR:-$DATA_DIR/tiktoken}"
export HF_HUB_OFFLINE="\${HF_HUB_OFFLINE:-1}"
exec "$VENV/bin/$1" "\$@"
EOF
}

admin_token_path() {
    config_get server.admin_token_file "$DATA_DIR/admin.token"
}

make_admin_token() {
    local token
    token=$(admin_token_path)
    if [[ ! -s $token ]]; then
        say "Writing a new admin token to $token"
        (umask 077 && mkdir -p "$(dirname "$token")" &&
            "$VENV_PY" -c 'import secrets; print(secrets.token_urlsafe(32))' >"$token")
    fi
    chmod 0600 "$token"
    if ((USE_SYSTEMD)); then
        chown "$SERVICE_USER:$SERVICE_USER" "$token"
    fi
}

prefetch() {
    if ((!FETCH)); then
        say "Offline install: models and tokenizer files are not fetched"
        return
    fi
    mkdir -p "$DATA_DIR/tiktoken" "$DATA_DIR/fastembed"
    fetch_step "tokenizer encodings o200k_base, cl100k_base" fetch_tiktoken
    fetch_step "embedding model $(config_get semantic.model)" fetch_model
}

fetch_step() {
    local what=$1 status=0
    "$2" || status=$?
    case $status in
        0) say "Fetched or found $what" ;;
        3) say "No internet: skipped fetching $what" ;;
        4) say "Nothing to fetch for the $what: it ships with the package" ;;
        *) warn "fetching $what failed (exit $status); the service starts without it" ;;
    esac
}

fetch_tiktoken() {
    TIKTOKEN_CACHE_DIR=$DATA_DIR/tiktoken timeout 120 "$VENV_PY" - <<'PY'
import hashlib
import os
import socket
import sys

BASE = "https://openaipublic.blob.core.windows.net/encodings/"
cache = os.environ["TIKTOKEN_CACHE_DIR"]


def cached(name):
    digest = hashlib.sha1((BASE + name + ".tiktoken").encode()).hexdigest()
    return os.path.isfile(os.path.join(cache, digest))


missing = [name for name in ("o200k_base", "cl100k_base") if not cached(name)]
if not missing:
    sys.exit(0)
try:
    socket.create_connection(("openaipublic.blob.core.windows.net", 443), 5).close()
except OSError:
    sys.exit(3)
socket.setdefaulttimeout(30)
import tiktoken

for name in missing:
    tiktoken.get_encoding(name)
PY
}

fetch_model() {
    timeout 900 "$VENV_PY" - "$(config_get semantic.model)" \
        "$(config_get semantic.model_path)" "$DATA_DIR/fastembed" <<'PY'
import socket
import sys

model, model_path, cache_dir = sys.argv[1:4]
try:
    from appliance.semantic.embedder import PACKAGED_MODEL
except ImportError:
    PACKAGED_MODEL = "optera/minilm-l6-int8"
if model_path or model in ("", PACKAGED_MODEL):
    sys.exit(4)
try:
    socket.create_connection(("huggingface.co", 443), 5).close()
except OSError:
    sys.exit(3)
socket.setdefaulttimeout(60)
from fastembed import TextEmbedding

TextEmbedding(model_name=model, cache_dir=cache_dir)
PY
}

own_data() {
    if ((USE_SYSTEMD)); then
        chown -R "$SERVICE_USER:$SERVICE_USER" "$DATA_DIR"
    fi
}

render_unit() {
    sed -e "s#/opt/optera/venv#$VENV#g" \
        -e "s#/etc/optera/optera.toml#$CONF_FILE#g" \
        -e "s#/var/lib/optera#$DATA_DIR#g" \
        "$SRC_DIR/systemd/$UNIT_NAME"
}

install_unit() {
    say "Installing $UNIT_FILE"
    render_unit >"$UNIT_FILE.tmp"
    mv "$UNIT_FILE.tmp" "$UNIT_FILE"
    systemctl daemon-reload
    systemctl enable --quiet "$UNIT_NAME"
}

start_service() {
    say "Starting $UNIT_NAME"
    systemctl restart "$UNIT_NAME"
    if ! wait_healthy; then
        journalctl -u "$UNIT_NAME" -n 40 --no-pager >&2 || true
        die "Optera did not answer $(proxy_url)/healthz in time (log above)"
    fi
    say "Optera answers $(proxy_url)/healthz"
}

proxy_url() {
    local host port
    host=$(config_get server.host 127.0.0.1)
    port=$(config_get server.port 8080)
    case $host in
        0.0.0.0) host=127.0.0.1 ;;
        :: | "[::]") host="[::1]" ;;
        *:*) host="[$host]" ;;
    esac
    printf 'http://%s:%s' "$host" "$port"
}

wait_healthy() {
    "$VENV_PY" - "$(proxy_url)/healthz" "${OPTERA_HEALTH_TIMEOUT:-60}" <<'PY'
import sys
import time
import urllib.request

url, limit = sys.argv[1], float(sys.argv[2])
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.5)
sys.exit(1)
PY
}

print_next_steps() {
    local url optera=optera
    url=$(proxy_url)
    [[ -n $PREFIX ]] && optera=$BIN_DIR/optera
    echo
    say "Optera is installed."
    note "config:  $CONF_FILE  (new defaults: $CONF_FILE.dist)"
    note "data:    $DATA_DIR  (admin token: $(admin_token_path))"
    if ((USE_SYSTEMD)); then
        note "service: systemctl status optera; logs: journalctl -u optera -f"
        ((START)) || note "start it: systemctl restart optera"
    else
        note "start it: $optera serve"
    fi
    note "It listens on $url; to serve other machines set server.host in the config."
    echo
    note "Next steps:"
    note "  ${optera}-tui    (the admin console)"
    note "  $optera workspace create --name acme --plan starter"
    note "  $optera subscription activate WORKSPACE_ID"
    note "  $optera key issue WORKSPACE_ID    (prints the proxy key once)"
    echo
    note "Then in your app (the provider key stays as it is):"
    note "  client = OpenAI(base_url=\"$url/v1\","
    note "                  default_headers={\"x-proxy-key\": \"PROXY_KEY\"})"
}

do_install() {
    check_privileges
    PYTHON=$(find_python)
    ((USE_SYSTEMD)) && create_user
    make_dirs
    make_venv
    install_package
    install_config
    install_wrappers
    make_admin_token
    prefetch
    own_data
    if ((USE_SYSTEMD)); then
        install_unit
        ((START)) && start_service
    fi
    print_next_steps
}

remove_venv() {
    [[ -f $VENV/pyvenv.cfg ]] || die "$VENV does not look like a virtual environment"
    rm -rf "$VENV"
}

remove_wrappers() {
    local name
    for name in optera optera-tui; do
        if [[ -f $BIN_DIR/$name ]] && grep -qF "$MARKER" "$BIN_DIR/$name"; then
            rm -f "$BIN_DIR/$name"
        fi
    done
}

remove_unit() {
    command -v systemctl >/dev/null || return 0
    if [[ -f $UNIT_FILE ]]; then
        say "Stopping and removing $UNIT_NAME"
        systemctl disable --now --quiet "$UNIT_NAME" || true
        rm -f "$UNIT_FILE"
        systemctl daemon-reload
    fi
}

do_uninstall() {
    if [[ -z $PREFIX || $USE_SYSTEMD -eq 1 ]] && [[ $EUID -ne 0 ]]; then
        die "run as root, or use --prefix DIR --no-systemd"
    fi
    ((USE_SYSTEMD)) && remove_unit
    say "Removing $VENV, the commands in $BIN_DIR and $CONF_FILE"
    [[ -e $VENV ]] && remove_venv
    remove_wrappers
    rm -f "$CONF_FILE" "$CONF_FILE.dist"
    rmdir "$CONF_DIR" 2>/dev/null || true
    if [[ -n $PREFIX ]]; then
        rmdir "$BIN_DIR" 2>/dev/null || true
    fi
    if ((PURGE)); then
        say "Purging the data in $DATA_DIR"
        [[ $DATA_DIR != / ]] && rm -rf "$DATA_DIR"
        if ((USE_SYSTEMD)) && id -u "$SERVICE_USER" >/dev/null 2>&1; then
            userdel "$SERVICE_USER" || warn "could not remove the user $SERVICE_USER"
        fi
    else
        say "Kept the data in $DATA_DIR (remove it with --uninstall --purge)"
    fi
    rmdir "$(dirname "$VENV")" 2>/dev/null || true
}

main() {
    parse_args "$@"
    set_layout
    case $ACTION in
        uninstall) do_uninstall ;;
        print-unit) render_unit ;;
        *) do_install ;;
    esac
}

main "$@"
