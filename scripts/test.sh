#!/usr/bin/env bash
# The one test command of the suite, for developers and CI alike:
#   lint (ruff) -> plain pytest (tests/) -> Odoo addon tests -> integration tests.
#
# Usage: ./scripts/test.sh [--unit-only | --odoo-only] [--keep-db]
#   --unit-only  lint and plain pytest only
#   --odoo-only  Odoo addon tests and integration tests only
#   --keep-db    keep the test database afterwards (same as KEEP_DB=1)
#
# Environment (all optional):
#   ODOO_BIN     Odoo launcher; default: `odoo`, then `odoo-bin` on PATH
#   ODOO_PYTHON  Python that runs Odoo; default: read from the launcher's shebang
#   PGHOST, PGPORT, PGUSER, PGPASSWORD
#                an existing PostgreSQL server to use; when PGHOST is set no local
#                server is started or configured
#   KEEP_DB=1    keep the test database; VERBOSE=1 show the whole Odoo log
#
# Exit status is 0 only when every stage that ran was green.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

# Undocumented: lets this script be tested against throwaway addons.
ADDONS_DIR="${DIS_ADDONS_DIR:-$REPO/addons}"
KEEP_DB="${KEEP_DB:-0}"
VERBOSE="${VERBOSE:-0}"
RUN_UNIT=1
RUN_ODOO=1
QUEUE_JOB_FALLBACK_PIN="odoo-addon-queue-job==18.0.1.7.0"
# OCA delivery_state, which distribution_carrier depends on (installed the same way).
DELIVERY_STATE_PIN="odoo-addon-delivery-state==18.0.1.2.3"
ODOO_PIN_NAMES='cryptography|pyopenssl|urllib3|requests|psycopg2|psycopg2-binary'

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while (($#)); do
    case "$1" in
        --unit-only) RUN_ODOO=0 ;;
        --odoo-only) RUN_UNIT=0 ;;
        --keep-db) KEEP_DB=1 ;;
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
DB=""
DB_CREATED=0
ODOO_LOG=""
KEEP_LOG=0

# Totals over every stage, printed as the closing line.
TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0
FAILED_STAGES=()
STAGE_RESULTS=()

section() { printf '\n==== %s ====\n' "$*"; }
note() { printf '%s\n' "$*"; }
elapsed() { printf '%ss' "$((SECONDS - ${1:-$START_TIME}))"; }

record_stage() { # name status(ok|FAILED|skipped) detail
    STAGE_RESULTS+=("$(printf '%-12s %-8s %s' "$1" "$2" "${3:-}")")
    if [[ $2 == FAILED ]]; then
        FAILED_STAGES+=("$1")
    fi
}

# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    local rc=$?
    if [[ -n $DB && $DB_CREATED == 1 ]]; then
        if [[ $KEEP_DB == 1 ]]; then
            note "kept test database: $DB"
        else
            dropdb --if-exists --force "$DB" >/dev/null 2>&1 ||
                dropdb --if-exists "$DB" >/dev/null 2>&1 ||
                note "warning: could not drop test database $DB"
        fi
    fi
    if [[ -n $ODOO_LOG && -f $ODOO_LOG ]]; then
        if [[ $KEEP_LOG == 1 || $KEEP_DB == 1 ]]; then
            note "Odoo log kept: $ODOO_LOG"
        else
            rm -f "$ODOO_LOG"
        fi
    fi
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
# Odoo discovery
# ---------------------------------------------------------------------------
ODOO_LAUNCHER=""
PY=""
ODOO_ADDONS_PATH=""
QUEUE_JOB_DIR=""
ODOO_PROBLEM=""

find_odoo() {
    local candidate
    if [[ -n ${ODOO_BIN:-} ]]; then
        candidate="$ODOO_BIN"
        [[ -f $candidate ]] || candidate="$(command -v -- "$ODOO_BIN" || true)"
        [[ -n $candidate ]] || { ODOO_PROBLEM="ODOO_BIN=$ODOO_BIN does not exist"; return 1; }
    else
        candidate="$(command -v odoo || command -v odoo-bin || true)"
        [[ -n $candidate ]] || return 1
    fi
    ODOO_LAUNCHER="$(readlink -f "$candidate")"

    if [[ -n ${ODOO_PYTHON:-} ]]; then
        PY="$ODOO_PYTHON"
    else
        local shebang interpreter
        IFS= read -r shebang <"$ODOO_LAUNCHER" || true
        [[ $shebang == '#!'* ]] || { ODOO_PROBLEM="$ODOO_LAUNCHER has no shebang (set ODOO_PYTHON)"; return 1; }
        read -r -a interpreter <<<"${shebang#\#!}"
        if [[ ${interpreter[0]##*/} == env ]]; then
            PY="${interpreter[1]:-python3}"
        else
            PY="${interpreter[0]}"
        fi
    fi
    PY="$(command -v -- "$PY" || true)"
    [[ -n $PY ]] || { ODOO_PROBLEM="the Python named by $ODOO_LAUNCHER was not found"; return 1; }

    if ! "$PY" -c "import odoo.release as r; assert r.version_info[0] == 18" 2>/dev/null; then
        ODOO_PROBLEM="$PY cannot import Odoo 18 (launcher $ODOO_LAUNCHER)"
        return 1
    fi
    local line
    while IFS= read -r line; do
        case "$line" in
            ODOO_ADDONS_PATH=*) ODOO_ADDONS_PATH="${line#*=}" ;;
            QUEUE_JOB_DIR=*) QUEUE_JOB_DIR="${line#*=}" ;;
        esac
    done < <("$PY" scripts/lib/odoo_paths.py)
    [[ -n $ODOO_ADDONS_PATH ]] || { ODOO_PROBLEM="no Odoo addons folder found beside $PY's odoo package"; return 1; }
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
prepare_odoo_python() {
    local constraints="$WORK_DIR/odoo-constraints.txt" requirements="$WORK_DIR/requirements.txt"
    "$PY" -m pip --version >/dev/null 2>&1 || { note "$PY has no pip: cannot install test requirements" >&2; return 1; }
    "$PY" -m pip freeze 2>/dev/null | grep -iE "^($ODOO_PIN_NAMES)==" >"$constraints" || true
    { cat requirements.txt; grep -viE '^ruff([^a-z0-9_.-]|$)' requirements-test.txt; } >"$requirements"

    local stamp
    stamp="$CACHE_DIR/odoo-python-$(printf '%s' "$PY" | sha256sum | cut -c1-12).stamp"
    local wanted
    wanted="$(requirements_hash "$constraints")"
    if [[ -f $stamp && "$(cat "$stamp")" == "$wanted" ]] && "$PY" -c "import pytest, requests, zeep" 2>/dev/null; then
        return 0
    fi
    note "installing test requirements into $PY (constrained to Odoo's pins: $(tr '\n' ' ' <"$constraints"))"
    pip_install "$PY" -r "$requirements" -c "$constraints"
    mkdir -p "$CACHE_DIR" && printf '%s' "$wanted" >"$stamp"
}

prepare_test_venv() {
    local venv="$REPO/.venv-test" stamp="$REPO/.venv-test/.requirements-hash" wanted
    wanted="$(requirements_hash)"
    if [[ -x $venv/bin/python && -f $stamp && "$(cat "$stamp")" == "$wanted" ]]; then
        PY_UNIT="$venv/bin/python"
        return 0
    fi
    note "preparing $venv"
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv" >/dev/null
    pip_install "$venv/bin/python" -r requirements.txt -r requirements-test.txt
    printf '%s' "$wanted" >"$stamp"
    PY_UNIT="$venv/bin/python"
}

# Run pytest; exit code 5 (nothing collected) is not a failure.
run_pytest() { # stage-name, python, pytest args...
    local stage="$1" python="$2" report rc
    shift 2
    report="$WORK_DIR/$stage.xml"
    set +e
    "$python" -m pytest -p no:cacheprovider --junitxml="$report" -o junit_family=xunit2 "$@"
    rc=$?
    set -e
    if ((rc == 5)); then
        note "$stage: no tests collected (pytest exit 5), counted as success"
        record_stage "$stage" ok "no tests collected"
        return 0
    fi
    local passed=0 failed=0 skipped=0
    if [[ -f $report ]]; then
        read -r passed failed skipped < <("$python" scripts/lib/junit_counts.py "$report")
    fi
    TOTAL_PASSED=$((TOTAL_PASSED + passed))
    TOTAL_FAILED=$((TOTAL_FAILED + failed))
    TOTAL_SKIPPED=$((TOTAL_SKIPPED + skipped))
    if ((rc == 0)); then
        record_stage "$stage" ok "$passed passed, $skipped skipped"
    else
        # A collection error or crash has no failed test to count: count the stage.
        ((failed > 0)) || TOTAL_FAILED=$((TOTAL_FAILED + 1))
        record_stage "$stage" FAILED "$passed passed, $failed failed (pytest exit $rc)"
    fi
}

# ---------------------------------------------------------------------------
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
ODOO_CONFIG=""
ODOO_DB_READY=0

write_odoo_config() {
    local master_key
    master_key="$("$PY" -c "import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())")"
    ODOO_CONFIG="$WORK_DIR/odoo.conf"
    mkdir -p "$WORK_DIR/data"
    {
        echo "[options]"
        echo "addons_path = $ODOO_ADDONS_PATH${QUEUE_JOB_DIR:+,$QUEUE_JOB_DIR},$ADDONS_DIR"
        echo "data_dir = $WORK_DIR/data"
        echo "admin_passwd = $("$PY" -c "import secrets;print(secrets.token_urlsafe(16))")"
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

run_odoo_tests() {
    local modules=() manifest
    for manifest in "$ADDONS_DIR"/*/__manifest__.py; do
        [[ -f $manifest ]] && modules+=("$(basename "$(dirname "$manifest")")")
    done
    if ((${#modules[@]} == 0)); then
        note "no addon with a __manifest__.py under $ADDONS_DIR: nothing to install"
        record_stage odoo skipped "no addons"
        return 0
    fi
    local module_list tags
    module_list="$(IFS=,; echo "${modules[*]}")"
    tags="$(printf '/%s,' "${modules[@]}")"
    tags="${tags%,}"

    ensure_postgres
    write_odoo_config

    DB="dis_test_$(date +%s)_$$"
    ODOO_LOG="${TMPDIR:-/tmp}/$DB.log"
    local http_port
    http_port="$(free_port "$PY")"
    local command=("$ODOO_LAUNCHER")
    [[ -x $ODOO_LAUNCHER ]] || command=("$PY" "$ODOO_LAUNCHER")
    command+=(-c "$ODOO_CONFIG" -d "$DB" -i "$module_list"
        --test-enable --test-tags "$tags" --stop-after-init --log-level=test
        --http-interface=127.0.0.1 --http-port="$http_port" --workers=0 --max-cron-threads=0)
    note "database $DB, modules $module_list, test tags $tags"
    note "log: $ODOO_LOG"

    DB_CREATED=1
    local rc started=$SECONDS
    set +e
    "${command[@]}" 2>&1 | tee "$ODOO_LOG" | filter_odoo_log "$module_list"
    rc=${PIPESTATUS[0]}
    set -e
    note "Odoo exited with $rc after $(elapsed "$started")"

    local summary failures=0 errors=0 tests=0 error_lines
    summary="$(grep -E '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$ODOO_LOG" | tail -n 1 || true)"
    if [[ $summary =~ ([0-9]+)\ failed,\ ([0-9]+)\ error\(s\)\ of\ ([0-9]+)\ tests ]]; then
        failures=${BASH_REMATCH[1]}
        errors=${BASH_REMATCH[2]}
        tests=${BASH_REMATCH[3]}
        ODOO_DB_READY=1
    fi
    error_lines="$(grep -cE ' (ERROR|CRITICAL) |^(FAIL|ERROR): ' "$ODOO_LOG" || true)"

    local failed=$((failures + errors)) passed=$((tests - failures - errors))
    echo
    if [[ -n $summary ]]; then
        note "$(sed -E 's/^.* odoo\.tests\.result: //' <<<"$summary")"
    else
        note "Odoo logged no test summary (the install failed before tests ran?)"
    fi
    echo "odoo: $passed passed, $failed failed"
    TOTAL_PASSED=$((TOTAL_PASSED + passed))
    TOTAL_FAILED=$((TOTAL_FAILED + failed))

    if ((rc == 0 && error_lines == 0 && failed == 0)) && [[ -n $summary ]]; then
        record_stage odoo ok "$passed passed of $tests"
    else
        KEEP_LOG=1
        ((failed > 0)) || TOTAL_FAILED=$((TOTAL_FAILED + 1))
        record_stage odoo FAILED "$passed passed, $failed failed, exit $rc, $error_lines ERROR/CRITICAL log line(s)"
        note "Odoo stage failed: exit code $rc, $error_lines ERROR/CRITICAL line(s); first ones:"
        grep -nE ' (ERROR|CRITICAL) |^(FAIL|ERROR): ' "$ODOO_LOG" | head -n 10 || true
    fi
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
ODOO_FOUND=0
if find_odoo; then
    ODOO_FOUND=1
fi

section "environment"
note "repository: $REPO"
if ((ODOO_FOUND)); then
    note "Odoo: $ODOO_LAUNCHER (Python $PY)"
    note "Odoo addons path: $ODOO_ADDONS_PATH"
elif [[ -n $ODOO_PROBLEM ]]; then
    note "note: $ODOO_PROBLEM"
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
        if ((ODOO_FOUND)); then
            prepare_odoo_python
            PY_UNIT="$PY"
        else
            prepare_test_venv
        fi
        run_pytest unit "$PY_UNIT" tests --ignore=tests/integration -q
    else
        note "no tests/ folder"
        record_stage unit skipped "no tests/"
    fi
fi

if ((RUN_ODOO)) && ((ODOO_FOUND)); then
    section "Odoo addon tests"
    [[ -n $PY_UNIT ]] || prepare_odoo_python
    if [[ -z $QUEUE_JOB_DIR ]]; then
        note "installing OCA queue_job ($QUEUE_JOB_FALLBACK_PIN, --no-deps)"
        pip_install "$PY" --no-deps "$QUEUE_JOB_FALLBACK_PIN"
        QUEUE_JOB_DIR="$("$PY" scripts/lib/odoo_paths.py | sed -n 's/^QUEUE_JOB_DIR=//p')"
        [[ -n $QUEUE_JOB_DIR ]] || { note "queue_job is still not importable by $PY" >&2; exit 1; }
    fi
    note "queue_job: $QUEUE_JOB_DIR/queue_job"
    if [[ ! -d $QUEUE_JOB_DIR/delivery_state ]]; then
        note "installing OCA delivery_state ($DELIVERY_STATE_PIN, --no-deps)"
        pip_install "$PY" --no-deps "$DELIVERY_STATE_PIN"
    fi
    run_odoo_tests

    section "integration tests (pytest tests/integration)"
    if [[ ! -d tests/integration ]]; then
        note "no tests/integration folder"
        record_stage integration skipped "no tests/integration"
    elif ((!ODOO_DB_READY)); then
        note "skipped: the Odoo database was not installed"
        record_stage integration skipped "no database"
    else
        DIS_ODOO_PYTHON="$PY" DIS_ODOO_CONFIG="$ODOO_CONFIG" DIS_ODOO_DB="$DB" \
            run_pytest integration "$PY" tests/integration -v
    fi
elif ((RUN_ODOO)); then
    echo "Odoo 18 not found (set ODOO_BIN or put odoo/odoo-bin on PATH): Odoo suites skipped."
    # Asked for explicitly (ODOO_BIN or --odoo-only): a skip would hide the problem.
    if [[ -n ${ODOO_BIN:-} ]] || ((!RUN_UNIT)); then
        record_stage odoo FAILED "Odoo 18 was asked for but not found"
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
    else
        record_stage odoo skipped "Odoo 18 not found"
    fi
else
    note "Odoo suites skipped (--unit-only)"
fi

section "summary ($(elapsed))"
printf '%s\n' "${STAGE_RESULTS[@]}"
echo "total: $TOTAL_PASSED passed, $TOTAL_FAILED failed, $TOTAL_SKIPPED skipped"
if ((${#FAILED_STAGES[@]})); then
    exit 1
fi
exit 0
