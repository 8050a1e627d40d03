#!/usr/bin/env bash
# The one test command of the suite, for developers and CI alike:
#   lint (ruff) -> plain pytest (tests/) -> Odoo addon tests -> integration tests.
#
# Usage: ./scripts/test.sh [--unit-only | --odoo-only] [--keep-db] [--list]
#   --unit-only  lint and plain pytest only
#   --odoo-only  Odoo addon tests and integration tests only
#   --keep-db    keep the test databases afterwards (same as KEEP_DB=1)
#   --list       print the Odoo platforms that would be tested, and stop
#
# Environment (all optional):
#   ODOO_BIN     the Odoo launcher(s) to test on, separated by ':' or spaces;
#                default: every launcher on PATH named odoo, odoo-bin or odoo-*
#                whose Python imports Odoo 18 (one per Odoo installation)
#   ODOO_PYTHON  Python that runs Odoo (one launcher only); default: read from
#                each launcher's shebang
#   PGHOST, PGPORT, PGUSER, PGPASSWORD
#                an existing PostgreSQL server to use; when PGHOST is set no local
#                server is started or configured
#   KEEP_DB=1    keep the test database; VERBOSE=1 show the whole Odoo log
#
# Each Odoo found is one platform: the right OCA queue_job for it (see
# scripts/lib/odoo_paths.py) and delivery_state are installed into its Python,
# then its Odoo tests and the integration tests run on a fresh database; the
# summary has one line per platform and lists every skipped suite and test.
# Without any Odoo 18: lint and plain pytest only, and one line saying so.
#
# Exit status is 0 only when every stage that ran was green.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

# Undocumented: lets this script be tested against throwaway addons.
ADDONS_DIR="${DIS_ADDONS_DIR:-$REPO/addons}"
# Test-only addons (never in addons/, so never in Apps): installed and tested
# with the suite on every platform, e.g. the skeleton channel of CHANNELS.md.
if [[ -n ${DIS_ADDONS_DIR:-} ]]; then TEST_ADDONS_DIR="${DIS_TEST_ADDONS_DIR:-}"
else TEST_ADDONS_DIR="${DIS_TEST_ADDONS_DIR:-$REPO/tests/addons}"; fi
KEEP_DB="${KEEP_DB:-0}"
VERBOSE="${VERBOSE:-0}"
RUN_UNIT=1
RUN_ODOO=1
LIST_ONLY=0
# OCA delivery_state, which distribution_carrier depends on (installed the same way).
DELIVERY_STATE_PIN="odoo-addon-delivery-state==18.0.1.2.3"
ODOO_PIN_NAMES='cryptography|pyopenssl|urllib3|requests|psycopg2|psycopg2-binary'

usage() { sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while (($#)); do
    case "$1" in
        --unit-only) RUN_ODOO=0 ;;
        --odoo-only) RUN_UNIT=0 ;;
        --keep-db) KEEP_DB=1 ;;
        --list) LIST_ONLY=1 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
if ((!RUN_UNIT && !RUN_ODOO)); then
    echo "--unit-only and --odoo-only exclude each other" >&2
    exit 2
fi

START_TIME=$SECONDS
WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/dis-test.XXXXXX")"
CACHE_DIR="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/dis-test"
DATABASES=()
KEEP_LOGS=()

# Totals over every stage, printed as the closing line.
TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0
FAILED_STAGES=()
STAGE_RESULTS=()
# One line per skipped suite or test, "stage: what (reason)".
SKIPPED_LINES=()

section() { printf '\n==== %s ====\n' "$*"; }
note() { printf '%s\n' "$*"; }
elapsed() { printf '%ss' "$((SECONDS - ${1:-$START_TIME}))"; }

record_stage() { # name status(ok|FAILED|skipped) detail
    STAGE_RESULTS+=("$(printf '%-14s %-8s %s' "$1" "$2" "${3:-}")")
    case $2 in
        FAILED) FAILED_STAGES+=("$1") ;;
        skipped) SKIPPED_LINES+=("$1: the whole stage (${3:-no reason given})") ;;
    esac
}

# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    local rc=$? db log
    for db in "${DATABASES[@]}"; do
        if [[ $KEEP_DB == 1 ]]; then
            note "kept test database: $db"
        else
            dropdb --if-exists --force "$db" >/dev/null 2>&1 ||
                dropdb --if-exists "$db" >/dev/null 2>&1 ||
                note "warning: could not drop test database $db"
        fi
    done
    for log in "${KEEP_LOGS[@]}"; do
        note "Odoo log kept: $log"
    done
    rm -rf "$WORK_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    "${1:-python3}" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Run a pip install quietly; show pip's output only when it fails.
pip_install() { # python, pip arguments...
    local python="$1"
    shift
    local pip_log="$WORK_DIR/pip.log"
    # The Odoo image's Python is a system Python (PEP 668); harmless elsewhere.
    if ! PIP_BREAK_SYSTEM_PACKAGES=1 "$python" -m pip install -q "$@" >"$pip_log" 2>&1; then
        cat "$pip_log" >&2
        note "pip install failed with $python" >&2
        return 1
    fi
}

requirements_hash() {
    cat requirements.txt requirements-test.txt "$@" | sha256sum | cut -c1-16
}

# ---------------------------------------------------------------------------
# Odoo discovery: one platform per Odoo installation
# ---------------------------------------------------------------------------
# Parallel arrays, one entry per platform.
P_LAUNCHER=()
P_PY=()
P_LABEL=()
ODOO_PROBLEMS=()

# The Python a launcher runs with (its shebang), or ODOO_PYTHON.
launcher_python() { # launcher -> prints the Python, or returns 1
    local launcher="$1" shebang interpreter python
    if [[ -n ${ODOO_PYTHON:-} ]]; then
        python="$ODOO_PYTHON"
    else
        IFS= read -r shebang <"$launcher" 2>/dev/null || true
        [[ $shebang == '#!'* ]] || return 1
        read -r -a interpreter <<<"${shebang#\#!}"
        if [[ ${interpreter[0]##*/} == env ]]; then
            python="${interpreter[1]:-python3}"
        else
            python="${interpreter[0]}"
        fi
    fi
    command -v -- "$python"
}

# Add a launcher as a platform unless its Odoo is already one; with `explicit`,
# a launcher that is no Odoo 18 is a problem, otherwise it is passed over quietly.
add_platform() { # launcher, explicit(0|1)
    local given="$1" explicit="$2" launcher python package i
    launcher="$given"
    [[ -f $launcher ]] || launcher="$(command -v -- "$given" || true)"
    if [[ -z $launcher ]]; then
        ((explicit)) && ODOO_PROBLEMS+=("ODOO_BIN names $given, which does not exist")
        return 0
    fi
    launcher="$(readlink -f "$launcher")"
    if ! python="$(launcher_python "$launcher")"; then
        ((explicit)) && ODOO_PROBLEMS+=("$given: no Python found in its shebang (set ODOO_PYTHON)")
        return 0
    fi
    package="$("$python" -c 'import os, odoo.release as r
assert r.version_info[0] == 18
print(os.path.realpath(os.path.dirname(r.__file__)))' 2>/dev/null || true)"
    if [[ -z $package ]]; then
        ((explicit)) && ODOO_PROBLEMS+=("$given: $python cannot import Odoo 18")
        return 0
    fi
    # Two launchers of one installation (odoo and odoo-bin, or a symlink) are one platform.
    for i in "${!P_PY[@]}"; do
        if [[ "$(readlink -f "${P_PY[$i]}")|${P_PACKAGE[$i]}" == "$(readlink -f "$python")|$package" ]]; then
            return 0
        fi
    done
    P_LAUNCHER+=("$launcher")
    P_PY+=("$python")
    P_PACKAGE+=("$package")
    if ((explicit)); then P_NAME+=("$given"); else P_NAME+=("${given##*/}"); fi
}
P_PACKAGE=()
P_NAME=()

find_platforms() {
    local entry directory candidate
    if [[ -n ${ODOO_BIN:-} ]]; then
        for entry in ${ODOO_BIN//:/ }; do
            add_platform "$entry" 1
        done
        return 0
    fi
    local seen=":"
    IFS=: read -r -a directories <<<"${PATH:-}"
    for directory in "${directories[@]}"; do
        [[ -n $directory && -d $directory && $seen != *":$directory:"* ]] || continue
        seen+="$directory:"
        for candidate in "$directory"/odoo "$directory"/odoo-bin "$directory"/odoo-*; do
            if [[ -f $candidate && -x $candidate ]]; then
                add_platform "$candidate" 0
            fi
        done
    done
}

# ---------------------------------------------------------------------------
# Python environments
# ---------------------------------------------------------------------------
RUFF=""

# ruff lives in its own venv (never in Odoo's environment), cached across clones.
prepare_ruff() {
    local version
    version="$(sed -n 's/^ruff==\([^ #;]*\).*/\1/p' requirements-test.txt)"
    [[ -n $version ]] || { note "requirements-test.txt does not pin ruff" >&2; return 1; }
    if command -v ruff >/dev/null && [[ "$(ruff --version)" == "ruff $version" ]]; then
        RUFF="$(command -v ruff)"
        return 0
    fi
    local venv="$CACHE_DIR/ruff-$version"
    if [[ ! -x $venv/bin/ruff || "$("$venv/bin/ruff" --version 2>/dev/null)" != "ruff $version" ]]; then
        note "installing ruff $version into $venv"
        rm -rf "$venv"
        mkdir -p "$CACHE_DIR"
        python3 -m venv "$venv" >/dev/null
        pip_install "$venv/bin/python" "ruff==$version"
    fi
    RUFF="$venv/bin/ruff"
}

# Install the suite's requirements (without ruff) into Odoo's Python, holding every
# package Odoo pins where it is.
prepare_odoo_python() { # python
    local py="$1"
    local constraints="$WORK_DIR/odoo-constraints.txt" requirements="$WORK_DIR/requirements.txt"
    "$py" -m pip --version >/dev/null 2>&1 || { note "$py has no pip: cannot install test requirements" >&2; return 1; }
    "$py" -m pip freeze 2>/dev/null | grep -iE "^($ODOO_PIN_NAMES)==" >"$constraints" || true
    { cat requirements.txt; grep -viE '^ruff([^a-z0-9_.-]|$)' requirements-test.txt; } >"$requirements"

    local stamp
    stamp="$CACHE_DIR/odoo-python-$(printf '%s' "$py" | sha256sum | cut -c1-12).stamp"
    local wanted
    wanted="$(requirements_hash "$constraints")"
    if [[ -f $stamp && "$(cat "$stamp")" == "$wanted" ]] && "$py" -c "import pytest, requests, zeep" 2>/dev/null; then
        return 0
    fi
    note "installing test requirements into $py (constrained to Odoo's pins: $(tr '\n' ' ' <"$constraints"))"
    pip_install "$py" -r "$requirements" -c "$constraints" || return 1
    mkdir -p "$CACHE_DIR" && printf '%s' "$wanted" >"$stamp"
}

# Without Odoo, plain pytest runs in a venv of its own, kept in the cache folder.
prepare_test_venv() {
    local wanted venv
    wanted="$(requirements_hash)"
    venv="$CACHE_DIR/venv-test"
    if [[ -x $venv/bin/python && -f $venv/.requirements-hash && "$(cat "$venv/.requirements-hash")" == "$wanted" ]]; then
        PY_UNIT="$venv/bin/python"
        return 0
    fi
    note "preparing $venv"
    mkdir -p "$CACHE_DIR"
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv" >/dev/null
    pip_install "$venv/bin/python" -r requirements.txt -r requirements-test.txt
    printf '%s' "$wanted" >"$venv/.requirements-hash"
    PY_UNIT="$venv/bin/python"
}

# Set the ODOO_* and QUEUE_JOB_* variables odoo_paths.py prints for one Python.
read_odoo_paths() { # python
    local line
    ODOO_LABEL="" ODOO_ADDONS_PATH="" QUEUE_JOB_DIR="" QUEUE_JOB_VERSION=""
    QUEUE_JOB_REQUIREMENT="" QUEUE_JOB_SATISFIED=0 DELIVERY_STATE_DIR=""
    while IFS= read -r line; do
        case "$line" in
            ODOO_LABEL=*) ODOO_LABEL="${line#*=}" ;;
            ODOO_ADDONS_PATH=*) ODOO_ADDONS_PATH="${line#*=}" ;;
            QUEUE_JOB_DIR=*) QUEUE_JOB_DIR="${line#*=}" ;;
            QUEUE_JOB_VERSION=*) QUEUE_JOB_VERSION="${line#*=}" ;;
            QUEUE_JOB_REQUIREMENT=*) QUEUE_JOB_REQUIREMENT="${line#*=}" ;;
            QUEUE_JOB_SATISFIED=*) QUEUE_JOB_SATISFIED="${line#*=}" ;;
            DELIVERY_STATE_DIR=*) DELIVERY_STATE_DIR="${line#*=}" ;;
        esac
    done < <("$1" scripts/lib/odoo_paths.py 2>/dev/null)
    [[ -n $ODOO_LABEL ]]
}

# Make one platform's Python ready: the suite's requirements, the queue_job that
# loads on this Odoo (replacing another version), delivery_state.
prepare_platform() { # python
    local py="$1"
    # Called from an `if`, where `set -e` does not apply: every step says so itself.
    prepare_odoo_python "$py" || return 1
    read_odoo_paths "$py" || { note "$py: scripts/lib/odoo_paths.py failed" >&2; return 1; }
    if [[ $QUEUE_JOB_SATISFIED != 1 ]]; then
        note "installing OCA queue_job: $QUEUE_JOB_REQUIREMENT (--no-deps)${QUEUE_JOB_VERSION:+, replacing $QUEUE_JOB_VERSION}"
        pip_install "$py" --no-deps --upgrade "$QUEUE_JOB_REQUIREMENT" || return 1
        read_odoo_paths "$py"
        [[ $QUEUE_JOB_SATISFIED == 1 ]] || { note "queue_job is still not the one wanted by $py" >&2; return 1; }
    fi
    if [[ -z $DELIVERY_STATE_DIR ]]; then
        note "installing OCA delivery_state ($DELIVERY_STATE_PIN, --no-deps)"
        pip_install "$py" --no-deps "$DELIVERY_STATE_PIN" || return 1
        read_odoo_paths "$py"
    fi
    [[ -n $ODOO_ADDONS_PATH ]] || { note "no Odoo addons folder found beside $py's odoo package" >&2; return 1; }
    note "Odoo: $ODOO_LABEL ($ODOO_LAUNCHER, Python $py)"
    note "addons: $ODOO_ADDONS_PATH; queue_job $QUEUE_JOB_VERSION: $QUEUE_JOB_DIR/queue_job"
}

# Run pytest; exit code 5 (nothing collected) is not a failure. Sets
# PYTEST_PASSED/FAILED/SKIPPED and adds each skipped test to SKIPPED_LINES.
run_pytest() { # stage-name, python, pytest args...
    local stage="$1" python="$2" report rc
    shift 2
    report="$WORK_DIR/$stage.xml"
    PYTEST_PASSED=0 PYTEST_FAILED=0 PYTEST_SKIPPED=0 PYTEST_OK=0
    set +e
    "$python" -m pytest -p no:cacheprovider --junitxml="$report" -o junit_family=xunit2 "$@"
    rc=$?
    set -e
    if ((rc == 5)); then
        note "$stage: no tests collected (pytest exit 5), counted as success"
        PYTEST_OK=1
        SKIPPED_LINES+=("$stage: no tests collected")
        return 0
    fi
    local line first=1
    if [[ -f $report ]]; then
        while IFS= read -r line; do
            if ((first)); then
                read -r PYTEST_PASSED PYTEST_FAILED PYTEST_SKIPPED <<<"$line"
                first=0
            else
                SKIPPED_LINES+=("$stage: $line")
            fi
        done < <("$python" scripts/lib/junit_counts.py "$report")
    fi
    TOTAL_PASSED=$((TOTAL_PASSED + PYTEST_PASSED))
    TOTAL_FAILED=$((TOTAL_FAILED + PYTEST_FAILED))
    TOTAL_SKIPPED=$((TOTAL_SKIPPED + PYTEST_SKIPPED))
    if ((rc == 0)); then
        PYTEST_OK=1
    else
        # A collection error or crash has no failed test to count: count the stage.
        ((PYTEST_FAILED > 0)) || { PYTEST_FAILED=1; TOTAL_FAILED=$((TOTAL_FAILED + 1)); }
        note "$stage: pytest exit $rc"
    fi
}

# SFTP tests need OpenSSH's sshd: install it like PostgreSQL where we can.
ensure_sshd() {
    [[ -x /usr/sbin/sshd ]] && command -v ssh-keygen >/dev/null && return 0
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        note "installing OpenSSH server for the SFTP tests (apt-get)"
        apt-get update -qq >/dev/null
        # The tests start sshd themselves; a policy-rc.d answering 101 keeps the
        # package from starting a system-wide one on port 22.
        local policy=/usr/sbin/policy-rc.d own_policy=0
        if [[ ! -e $policy ]]; then
            printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null ||
            note "could not install openssh-server: the SFTP tests will be skipped"
        if ((own_policy)); then rm -f "$policy"; fi
    else
        note "no /usr/sbin/sshd (Debian: apt-get install openssh-server): the SFTP tests will be skipped"
    fi
}
# Odoo's browser tests (tours) drive a headless Chromium: install it likewise.
ensure_chromium() {
    local name
    for name in chromium chromium-browser google-chrome google-chrome-stable; do
        command -v "$name" >/dev/null && return 0
    done
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        note "installing Chromium for the browser tests (apt-get)"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ||
            note "could not install chromium: the browser tests (tours) will be skipped"
    else
        note "no Chromium (Debian: apt-get install chromium): the browser tests (tours) will be skipped"
    fi
}

# PostgreSQL
# ---------------------------------------------------------------------------
pg_ready() {
    if [[ -n ${PGHOST:-} ]]; then
        pg_isready -q
    else
        pg_isready -q || pg_isready -q -h 127.0.0.1
    fi
}

wait_for_pg() {
    local tries=${1:-30}
    while ((tries-- > 0)); do
        pg_ready && return 0
        sleep 1
    done
    return 1
}

ensure_postgres() {
    if [[ -n ${PGHOST:-} ]]; then
        note "PostgreSQL: using PGHOST=$PGHOST${PGPORT:+ PGPORT=$PGPORT}${PGUSER:+ PGUSER=$PGUSER}"
        if command -v pg_isready >/dev/null; then
            wait_for_pg 60 || { note "PostgreSQL at $PGHOST does not answer" >&2; return 1; }
        fi
        return 0
    fi

    if ! command -v pg_isready >/dev/null || ! pg_ready; then
        local servers=(/usr/lib/postgresql/*/bin/postgres)
        if [[ ! -x ${servers[0]} ]]; then
            if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
                note "no PostgreSQL server here: install one, or set PGHOST/PGUSER/PGPASSWORD" >&2
                return 1
            fi
            note "installing PostgreSQL (apt-get)"
            apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
            servers=(/usr/lib/postgresql/*/bin/postgres)
        fi
        local version
        version="$(basename "$(dirname "$(dirname "${servers[-1]}")")")"
        if command -v pg_ctlcluster >/dev/null; then
            if ! pg_lsclusters -h 2>/dev/null | awk -v v="$version" '$1 == v && $2 == "main" {found=1} END {exit !found}'; then
                note "creating PostgreSQL cluster $version/main"
                pg_createcluster "$version" main >/dev/null
            fi
            note "starting PostgreSQL cluster $version/main"
            pg_ctlcluster "$version" main start || true
        else
            note "PostgreSQL is not running and this is no Debian cluster setup: start it by hand" >&2
            return 1
        fi
        wait_for_pg 30 || { note "PostgreSQL did not become ready" >&2; return 1; }
    fi

    # Odoo connects as the OS user through the socket; it refuses the `postgres` role.
    local user
    user="$(id -un)"
    if [[ $user == postgres ]]; then
        note "Odoo refuses to run as the postgres user: run this as another user" >&2
        return 1
    fi
    if ! psql -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
        if [[ $(id -u) != 0 ]]; then
            note "PostgreSQL role '$user' is missing; create it: sudo -u postgres createuser -s $user" >&2
            return 1
        fi
        note "creating PostgreSQL superuser role '$user'"
        su postgres -s /bin/sh -c "psql -q -v ON_ERROR_STOP=1 -c 'CREATE ROLE \"$user\" SUPERUSER LOGIN'" >/dev/null
    fi
}

# ---------------------------------------------------------------------------
# Odoo addon tests
# ---------------------------------------------------------------------------
write_odoo_config() { # python, config file
    local py="$1" master_key
    master_key="$("$py" -c "import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())")"
    ODOO_CONFIG="$2"
    mkdir -p "$WORK_DIR/data"
    {
        echo "[options]"
        echo "addons_path = $ODOO_ADDONS_PATH${QUEUE_JOB_DIR:+,$QUEUE_JOB_DIR},$ADDONS_DIR${TEST_ADDONS_DIR:+,$TEST_ADDONS_DIR}"
        echo "data_dir = $WORK_DIR/data"
        echo "admin_passwd = $("$py" -c "import secrets;print(secrets.token_urlsafe(16))")"
        echo "integration_master_key = $master_key"
        [[ -z ${PGHOST:-} ]] || echo "db_host = $PGHOST"
        [[ -z ${PGPORT:-} ]] || echo "db_port = $PGPORT"
        [[ -z ${PGUSER:-} ]] || echo "db_user = $PGUSER"
        [[ -z ${PGPASSWORD:-} ]] || echo "db_password = $PGPASSWORD"
        echo
        echo "[queue_job]"
        echo "channels = root:2"
    } >"$ODOO_CONFIG"
    chmod 600 "$ODOO_CONFIG"
}

# Show the part of the Odoo log a reader needs: warnings and worse, test and
# module-loading lines, and the continuation lines (tracebacks) that follow them.
filter_odoo_log() {
    if [[ $VERBOSE == 1 ]]; then
        cat
        return
    fi
    awk -v modules="$1" '
        BEGIN { n = split(modules, list, ","); for (i = 1; i <= n; i++) ours["odoo.addons." list[i]] = 1 }
        /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9:,]+ [0-9]+ [A-Z]+ / {
            level = $4; logger = $6; sub(/:$/, "", logger)
            split(logger, parts, "."); top = parts[1] "." parts[2] "." parts[3]
            show = (level != "INFO" && level != "DEBUG") || logger ~ /^odoo\.tests/ ||
                   (top in ours) || (logger == "odoo.modules.loading" &&
                   $0 !~ /odoo\.modules\.loading: (loading [^ ]*\/|Loading module )/)
            if (show) print
            fflush()
            next
        }
        show { print; fflush() }
    '
}

# Install every addon into a fresh database and run their Odoo tests. Sets DB,
# ODOO_LOG, ODOO_DB_READY and ODOO_RESULT (the summary's words) for the platform.
run_odoo_tests() { # python, launcher, platform tag
    local py="$1" launcher="$2" tag="$3"
    local modules=() manifest
    ODOO_DB_READY=0
    ODOO_OK=0
    for manifest in "$ADDONS_DIR"/*/__manifest__.py; do
        [[ -f $manifest ]] && modules+=("$(basename "$(dirname "$manifest")")")
    done
    local test_modules=0
    if [[ -n $TEST_ADDONS_DIR ]]; then
        for manifest in "$TEST_ADDONS_DIR"/*/__manifest__.py; do
            [[ -f $manifest ]] || continue
            modules+=("$(basename "$(dirname "$manifest")")")
            test_modules=$((test_modules + 1))
        done
    fi
    if ((${#modules[@]} == test_modules)); then
        ODOO_RESULT="no addon with a __manifest__.py under $ADDONS_DIR"
        SKIPPED_LINES+=("odoo $tag: the whole stage (no addons)")
        ODOO_OK=1
        return 0
    fi
    local module_list tags
    module_list="$(IFS=,; echo "${modules[*]}")"
    tags="$(printf '/%s,' "${modules[@]}")"
    tags="${tags%,}"

    write_odoo_config "$py" "$WORK_DIR/odoo-$tag.conf"

    DB="dis_test_$(date +%s)_$$_$tag"
    ODOO_LOG="${TMPDIR:-/tmp}/$DB.log"
    local http_port
    http_port="$(free_port "$py")"
    local command=("$launcher")
    [[ -x $launcher ]] || command=("$py" "$launcher")
    command+=(-c "$ODOO_CONFIG" -d "$DB" -i "$module_list"
        --test-enable --test-tags "$tags" --stop-after-init --log-level=test
        --http-interface=127.0.0.1 --http-port="$http_port" --workers=0 --max-cron-threads=0)
    note "database $DB, modules $module_list, test tags $tags"
    note "log: $ODOO_LOG"

    DATABASES+=("$DB")
    local rc started=$SECONDS
    set +e
    "${command[@]}" 2>&1 | tee "$ODOO_LOG" | filter_odoo_log "$module_list"
    rc=${PIPESTATUS[0]}
    set -e
    note "Odoo exited with $rc after $(elapsed "$started")"

    local summary failures=0 errors=0 tests=0 error_lines skip_lines=() line skipped_tests=0
    summary="$(grep -aE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$ODOO_LOG" | tail -n 1 || true)"
    if [[ $summary =~ ([0-9]+)\ failed,\ ([0-9]+)\ error\(s\)\ of\ ([0-9]+)\ tests ]]; then
        failures=${BASH_REMATCH[1]}
        errors=${BASH_REMATCH[2]}
        tests=${BASH_REMATCH[3]}
        ODOO_DB_READY=1
    fi
    error_lines="$(grep -acE ' (ERROR|CRITICAL) |^(FAIL|ERROR): ' "$ODOO_LOG" || true)"
    # Odoo logs "skipped <test> : <reason>" for a skipped test or test class.
    # A test skipped alone counts among the tests run; a class skipped in
    # setUpClass does not.
    while IFS= read -r line; do
        skip_lines+=("odoo $tag: $line")
        [[ $line == setUp* ]] || skipped_tests=$((skipped_tests + 1))
    done < <(sed -nE 's/^[0-9-]+ [0-9:,]+ [0-9]+ INFO [^ ]+ [^ ]+: skipped (.*)$/\1/p' "$ODOO_LOG")
    SKIPPED_LINES+=("${skip_lines[@]}")

    local failed=$((failures + errors)) passed=$((tests - failures - errors - skipped_tests))
    ((passed >= 0)) || passed=0
    echo
    if [[ -n $summary ]]; then
        note "$(sed -E 's/^.* odoo\.tests\.result: //' <<<"$summary")"
    else
        note "Odoo logged no test summary (the install failed before tests ran?)"
    fi
    TOTAL_PASSED=$((TOTAL_PASSED + passed))
    TOTAL_FAILED=$((TOTAL_FAILED + failed))
    TOTAL_SKIPPED=$((TOTAL_SKIPPED + ${#skip_lines[@]}))

    if ((rc == 0 && error_lines == 0 && failed == 0)) && [[ -n $summary ]]; then
        ODOO_OK=1
        ODOO_RESULT="Odoo tests $passed passed, ${#skip_lines[@]} skipped"
        if [[ $KEEP_DB == 1 ]]; then KEEP_LOGS+=("$ODOO_LOG"); else rm -f "$ODOO_LOG"; fi
    else
        KEEP_LOGS+=("$ODOO_LOG")
        ((failed > 0)) || TOTAL_FAILED=$((TOTAL_FAILED + 1))
        ODOO_RESULT="Odoo tests $passed passed, $failed failed, ${#skip_lines[@]} skipped (exit $rc, $error_lines ERROR/CRITICAL log line(s), log $ODOO_LOG)"
        note "Odoo stage failed: exit code $rc, $error_lines ERROR/CRITICAL line(s); first ones:"
        grep -anE ' (ERROR|CRITICAL) |^(FAIL|ERROR): ' "$ODOO_LOG" | head -n 10 || true
    fi
}

# One platform: prepare its Python, run its Odoo tests, then the integration
# tests against the database they installed; record one summary line.
run_platform() { # index
    local i="$1" tag="p$(($1 + 1))" started=$SECONDS
    local py="${P_PY[$i]}" launcher="${P_LAUNCHER[$i]}"
    ODOO_LAUNCHER="$launcher"
    section "platform $tag: ${P_NAME[$i]} ($launcher)"
    if ! prepare_platform "$py"; then
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
        record_stage "platform $tag" FAILED "$launcher: could not prepare its Python (see above)"
        return 0
    fi
    local label="$ODOO_LABEL + queue_job $QUEUE_JOB_VERSION (${P_NAME[$i]})"

    section "Odoo addon tests on $tag: $label"
    run_odoo_tests "$py" "$launcher" "$tag"
    local result="$ODOO_RESULT" ok=$ODOO_OK

    section "integration tests on $tag: $label"
    if [[ ! -d tests/integration ]]; then
        result+="; no tests/integration"
        SKIPPED_LINES+=("integration $tag: the whole stage (no tests/integration)")
    elif ((!ODOO_DB_READY)); then
        note "skipped: the Odoo database was not installed"
        result+="; integration not run (no database)"
        SKIPPED_LINES+=("integration $tag: the whole stage (the Odoo database was not installed)")
        ok=0
    else
        DIS_ODOO_PYTHON="$py" DIS_ODOO_CONFIG="$ODOO_CONFIG" DIS_ODOO_DB="$DB" \
            run_pytest "integration-$tag" "$py" tests/integration -v --durations=10
        result+="; integration $PYTEST_PASSED passed, $PYTEST_FAILED failed, $PYTEST_SKIPPED skipped"
        ((PYTEST_OK)) || ok=0
    fi
    if ((ok)); then
        record_stage "platform $tag" ok "$label: $result ($(elapsed "$started"))"
    else
        record_stage "platform $tag" FAILED "$label: $result ($(elapsed "$started"))"
    fi
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
find_platforms

section "environment"
note "repository: $REPO"
for i in "${!P_LAUNCHER[@]}"; do
    note "Odoo 18 platform p$((i + 1)): ${P_NAME[$i]} -> ${P_LAUNCHER[$i]} (Python ${P_PY[$i]})"
done
for problem in "${ODOO_PROBLEMS[@]}"; do
    note "problem: $problem"
done
((${#P_LAUNCHER[@]})) || note "no Odoo 18 platform found"
if ((LIST_ONLY)); then
    exit $((${#ODOO_PROBLEMS[@]} ? 1 : 0))
fi

PY_UNIT=""
if ((RUN_UNIT)); then
    section "lint (ruff)"
    started=$SECONDS
    prepare_ruff
    lint_ok=1
    "$RUFF" check . || lint_ok=0
    "$RUFF" format --check . || lint_ok=0
    if ((lint_ok)); then
        record_stage lint ok "$(elapsed "$started")"
    else
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
        record_stage lint FAILED "ruff check / ruff format --check (run: ruff check --fix . && ruff format .)"
    fi

    section "plain tests (pytest tests/)"
    if [[ -d tests ]]; then
        ensure_sshd
        if ((${#P_PY[@]})); then
            # Plain tests need no Odoo: the first platform's Python runs them once.
            prepare_odoo_python "${P_PY[0]}"
            PY_UNIT="${P_PY[0]}"
        else
            prepare_test_venv
        fi
        run_pytest unit "$PY_UNIT" tests --ignore=tests/integration --ignore=tests/addons -q
        if ((PYTEST_OK)); then
            record_stage unit ok "$PYTEST_PASSED passed, $PYTEST_SKIPPED skipped"
        else
            record_stage unit FAILED "$PYTEST_PASSED passed, $PYTEST_FAILED failed"
        fi
    else
        record_stage unit skipped "no tests/ folder"
    fi
fi

if ((RUN_ODOO)) && ((${#ODOO_PROBLEMS[@]})); then
    # Asked for explicitly (ODOO_BIN): a launcher that is not there fails the run.
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    record_stage odoo FAILED "$(IFS=';'; echo "${ODOO_PROBLEMS[*]}")"
fi
if ((RUN_ODOO)) && ((${#P_LAUNCHER[@]})); then
    ensure_postgres
    ((RUN_UNIT)) || ensure_sshd
    ensure_chromium
    for i in "${!P_LAUNCHER[@]}"; do
        run_platform "$i"
    done
elif ((RUN_ODOO)); then
    echo "Odoo 18 not found (set ODOO_BIN or put an odoo launcher on PATH): Odoo suites skipped."
    if ((!RUN_UNIT)); then
        # --odoo-only asked for them: a skip would hide the problem.
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
        record_stage odoo FAILED "Odoo 18 was asked for (--odoo-only) but not found"
    elif ((!${#ODOO_PROBLEMS[@]})); then
        record_stage odoo skipped "Odoo 18 not found: Odoo and integration suites not run"
    fi
else
    note "Odoo suites skipped (--unit-only)"
    SKIPPED_LINES+=("odoo: the Odoo and integration suites (--unit-only)")
fi

section "summary ($(elapsed))"
printf '%s\n' "${STAGE_RESULTS[@]}"
if ((${#SKIPPED_LINES[@]})); then
    echo "skipped (${#SKIPPED_LINES[@]}):"
    printf '  %s\n' "${SKIPPED_LINES[@]}"
else
    echo "skipped: nothing"
fi
echo "total: $TOTAL_PASSED passed, $TOTAL_FAILED failed, $TOTAL_SKIPPED skipped"
if ((${#FAILED_STAGES[@]})); then
    exit 1
fi
exit 0
