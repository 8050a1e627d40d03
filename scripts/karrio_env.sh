#!/usr/bin/env bash
# Build (once) the Karrio shipping gateway used as the carrier channel's test peer.
#
# Karrio gets its own virtualenv: its Django stack needs newer libraries than
# Odoo 18 pins. `karrio migrate` (about 95 s) runs once into a template SQLite
# file; test runs start Karrio on a copy of it. A second run is instant.
#
# Usage: ./scripts/karrio_env.sh            build if needed, then print KEY=VALUE lines
# Environment (optional):
#   KARRIO_VERSION      default 2026.1.32 (the version seen working offline)
#   KARRIO_BASE_PYTHON  Python that creates the venv; default python3
#   XDG_CACHE_HOME      cache root; default ~/.cache
# Output (stdout, one per line): KARRIO_HOME=, KARRIO_PYTHON=, KARRIO_BIN=,
#   KARRIO_TEMPLATE_DB=, KARRIO_VERSION=. Progress goes to stderr.
set -euo pipefail

KARRIO_VERSION="${KARRIO_VERSION:-2026.1.32}"
BASE_PYTHON="${KARRIO_BASE_PYTHON:-python3}"
CACHE_DIR="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/dis-test"
KARRIO_HOME="$CACHE_DIR/karrio-$KARRIO_VERSION"
VENV="$KARRIO_HOME/venv"
TEMPLATE_DIR="$KARRIO_HOME/template"
TEMPLATE_DB="$TEMPLATE_DIR/karrio.sqlite3"
# The extra server apps are required: without them Karrio's settings import
# fails and Django runs with empty settings ("settings.DATABASES is improperly
# configured").
PACKAGES=(karrio-server karrio-generic karrio-server-manager karrio-server-events
    karrio-server-graph karrio-server-proxy karrio-server-pricing karrio-server-orders)

say() { printf 'karrio_env: %s\n' "$*" >&2; }

mkdir -p "$KARRIO_HOME"
# Two test runs building at once would corrupt the venv: serialise them.
exec 9>"$KARRIO_HOME/.lock"
flock 9

installed_stamp="$VENV/.dis-installed"
if [[ ! -x $VENV/bin/karrio || "$(cat "$installed_stamp" 2>/dev/null)" != "$KARRIO_VERSION" ]]; then
    say "installing Karrio $KARRIO_VERSION into $VENV (a few minutes, once)"
    rm -rf "$VENV" "$TEMPLATE_DIR"
    "$BASE_PYTHON" -m venv "$VENV"
    pip_log="$KARRIO_HOME/pip.log"
    specs=()
    for name in "${PACKAGES[@]}"; do specs+=("$name==$KARRIO_VERSION"); done
    if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        "${specs[@]}" gunicorn >"$pip_log" 2>&1; then
        tail -n 30 "$pip_log" >&2
        say "pip install failed (log: $pip_log)"
        rm -rf "$VENV"
        exit 1
    fi
    printf '%s' "$KARRIO_VERSION" >"$installed_stamp"
fi

migrated_stamp="$TEMPLATE_DIR/.dis-migrated"
if [[ ! -f $TEMPLATE_DB || ! -f $migrated_stamp ]]; then
    say "running karrio migrate into the template database (about 95 s, once)"
    rm -rf "$TEMPLATE_DIR"
    mkdir -p "$TEMPLATE_DIR"
    migrate_log="$KARRIO_HOME/migrate.log"
    # No REDIS_*: background tasks and webhooks then run inline.
    if ! env -u REDIS_URL -u REDIS_HOST \
        WORK_DIR="$TEMPLATE_DIR" LOG_DIR="$TEMPLATE_DIR" DATABASE_ENGINE=sqlite3 \
        DATABASE_NAME=karrio.sqlite3 SECRET_KEY=dis-template DEBUG_MODE=True \
        ALLOWED_HOSTS='*' WORKER_IMMEDIATE_MODE=True \
        "$VENV/bin/karrio" migrate --noinput >"$migrate_log" 2>&1; then
        tail -n 30 "$migrate_log" >&2
        say "karrio migrate failed (log: $migrate_log)"
        exit 1
    fi
    if [[ ! -f $TEMPLATE_DB ]]; then
        say "karrio migrate did not create $TEMPLATE_DB (log: $migrate_log)"
        exit 1
    fi
    touch "$migrated_stamp"
fi

echo "KARRIO_VERSION=$KARRIO_VERSION"
echo "KARRIO_HOME=$KARRIO_HOME"
echo "KARRIO_PYTHON=$VENV/bin/python"
echo "KARRIO_BIN=$VENV/bin/karrio"
echo "KARRIO_TEMPLATE_DB=$TEMPLATE_DB"
