#!/usr/bin/env bash
# The whole test suite: static checks, the pure-Python tier (pytest) and, whenever
# an Odoo 19 is available, the Odoo tier on a fresh database.
#
#   bash tools/test.sh                     # everything
#   bash tools/test.sh --tier odoo --tags /helpdesk_sla:TestSlaClock
#   bash tools/test.sh --tier odoo --db my_db   # reuse (update) an existing database: faster
#
# Exits non-zero on any failure; prints one "N passed, N failed" line per tier.
source "$(dirname "$0")/lib.sh"

TIERS=()
TAGS=/helpdesk_sla
DB=""
KEEP_DB=0
while [ $# -gt 0 ]; do
    case "$1" in
        --tier) TIERS+=("$2"); shift 2 ;;
        --tags) TAGS=$2; shift 2 ;;
        --db) DB=$2; KEEP_DB=1; shift 2 ;;
        --keep-db) KEEP_DB=1; shift ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) die "unknown argument: $1" ;;
    esac
done
[ ${#TIERS[@]} -gt 0 ] || TIERS=(static pure odoo)
wants() { [[ " ${TIERS[*]} " == *" $1 "* ]]; }

FAILED=()
cd "$REPO_ROOT"
ensure_tool_venv

if wants static; then
    say "Static tier: manifest, XML, CSV, ruff, pylint-odoo, manifestoo"
    if "$VENV/bin/python" tools/check_static.py \
        && bash tools/deps.sh --check \
        && "$VENV/bin/ruff" check --quiet . \
        && "$VENV/bin/pylint" --rcfile=.pylintrc --score=n $(git ls-files --cached --others --exclude-standard '*.py' | grep -v -e '^tests/pure/' -e '^tools/') ; then
        echo "static: 1 passed, 0 failed"
    else
        echo "static: 0 passed, 1 failed"
        FAILED+=(static)
    fi
fi

if wants pure; then
    say "Pure tier: pytest tests/pure"
    set +e
    "$VENV/bin/python" -m pytest tests/pure -q -p no:cacheprovider
    rc=$?
    set -e
    case $rc in
        0) ;;
        5) warn "pytest collected no test in tests/pure: that is a failure"; FAILED+=(pure) ;;
        *) FAILED+=(pure) ;;
    esac
fi

if wants odoo; then
    if ! odoo_present; then
        warn "ODOO TIER SKIPPED: no Odoo 19 source tree at ODOO_HOME=$ODOO_HOME (set ODOO_HOME, or run 'bash tools/run.sh' once); only the static and pure tiers ran."
    else
        say "Odoo tier: Odoo at $ODOO_HOME, tags $TAGS"
        ensure_odoo_venv
        ensure_addons_link
        ensure_postgres
        if [ -z "$DB" ]; then
            DB="helpdesk_sla_test_$$"
            dropdb --if-exists "$DB" 2>/dev/null || true
            MODULE_ARG=(-i helpdesk_sla)
        elif psql -d "$DB" -Atc "select 1 from ir_module_module where name='helpdesk_sla' and state='installed'" 2>/dev/null | grep -q 1; then
            MODULE_ARG=(-u helpdesk_sla)
        else
            MODULE_ARG=(-i helpdesk_sla)
        fi
        LOG=$(mktemp -t helpdesk_sla_odoo_XXXX.log)
        set +e
        odoo_bin -d "$DB" "${MODULE_ARG[@]}" --with-demo --test-enable --test-tags "$TAGS" \
            --stop-after-init --http-interface=127.0.0.1 --http-port="$(free_port)" \
            --log-level=test --max-cron-threads=0 --log-handler=werkzeug:WARNING > "$LOG" 2>&1
        rc=$?
        set -e
        "$VENV/bin/python" tools/odoo_log_summary.py "$LOG" "$rc" || FAILED+=(odoo)
        [ "$KEEP_DB" -eq 1 ] || dropdb --if-exists "$DB" 2>/dev/null || true
    fi
fi

if [ ${#FAILED[@]} -gt 0 ]; then
    die "FAILED tiers: ${FAILED[*]}"
fi
say "All requested tiers passed."
