#!/usr/bin/env bash
# The whole test suite: static checks, the pure-Python tier (pytest) and, whenever
# an Odoo 19 is available, the Odoo tier on a fresh database.
#
#   bash tools/test.sh                     # everything
#   bash tools/test.sh --tier odoo --tags /helpdesk_sla:TestSlaClock
#   bash tools/test.sh --tier odoo --db my_db   # reuse (update) an existing database: faster
#
# The Odoo tier has two passes. The main pass installs helpdesk_sla alone (with its
# Community dependencies) and runs every test but those tagged helpdesk_sla_apps. The
# apps pass installs helpdesk_sla with sale_stock, repair and im_livechat on a second
# database and runs only the tests tagged helpdesk_sla_apps (after-sales, live chat).
# It runs by default without --tags; --apps forces it, --no-apps skips it, and
# --apps-db my_db_apps reuses (updates) a database for it (it implies --apps).
#
# Exits non-zero on any failure; prints one "N passed, N failed" line per tier and pass.
source "$(dirname "$0")/lib.sh"

TIERS=()
TAGS=/helpdesk_sla
TAGS_GIVEN=0
DB=""
KEEP_DB=0
APPS=""          # "", 1 (run the apps pass) or 0 (skip it)
APPS_DB=""
# the apps the after-sales and live-chat tests need, and the tag that marks those tests
APPS_MODULES=(sale_stock repair im_livechat)
APPS_TAG=helpdesk_sla_apps
while [ $# -gt 0 ]; do
    case "$1" in
        --tier) TIERS+=("$2"); shift 2 ;;
        --tags) TAGS=$2; TAGS_GIVEN=1; shift 2 ;;
        --db) DB=$2; KEEP_DB=1; shift 2 ;;
        --keep-db) KEEP_DB=1; shift ;;
        --apps) APPS=1; shift ;;
        --no-apps) APPS=0; shift ;;
        --apps-db) APPS_DB=$2; APPS=1; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
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

# One Odoo test run: odoo_pass LABEL DB KEEP MODULES TAGS DEMO (MODULES comma-separated,
# installed on a new database, updated on an existing one; DEMO 1 loads demo data).
odoo_pass() {
    local label=$1 db=$2 keep=$3 modules=$4 tags=$5 demo=$6 module_arg demo_arg=() log rc started
    if psql -d "$db" -Atc "select 1 from ir_module_module where name='helpdesk_sla' and state='installed'" 2>/dev/null | grep -q 1; then
        module_arg=(-i "$modules" -u helpdesk_sla)
    else
        [ "$keep" -eq 1 ] || dropdb --if-exists "$db" 2>/dev/null || true
        module_arg=(-i "$modules")
    fi
    if [ "$demo" -eq 1 ]; then demo_arg=(--with-demo); fi
    say "Odoo tier, $label pass: database $db, modules $modules, tags $tags"
    log=$(mktemp -t "helpdesk_sla_odoo_${label}_XXXX.log")
    started=$SECONDS
    set +e
    odoo_bin -d "$db" "${module_arg[@]}" "${demo_arg[@]}" --test-enable --test-tags "$tags" \
        --stop-after-init --http-interface=127.0.0.1 --http-port="$(free_port)" \
        --log-level=test --max-cron-threads=0 --log-handler=werkzeug:WARNING > "$log" 2>&1
    rc=$?
    set -e
    echo "odoo ($label pass): $((SECONDS - started)) s"
    "$VENV/bin/python" tools/odoo_log_summary.py "$log" "$rc" || FAILED+=("odoo-$label")
    [ "$keep" -eq 1 ] || dropdb --if-exists "$db" 2>/dev/null || true
}

# Odoo test-tag specs restricted to the tests tagged $APPS_TAG: "/helpdesk_sla:TestX"
# becomes "helpdesk_sla_apps/helpdesk_sla:TestX"; exclusions stay as they are.
apps_tags() {
    local spec out=()
    IFS=',' read -ra specs <<< "$1"
    for spec in "${specs[@]}"; do
        case "$spec" in
            -*) out+=("$spec") ;;
            /*) out+=("$APPS_TAG$spec") ;;
            *) out+=("$APPS_TAG/$spec") ;;
        esac
    done
    (IFS=','; echo "${out[*]}")
}

if wants odoo; then
    if ! odoo_present; then
        warn "ODOO TIER SKIPPED: no Odoo 19 source tree at ODOO_HOME=$ODOO_HOME (set ODOO_HOME, or run 'bash tools/run.sh' once); only the static and pure tiers ran."
    else
        ensure_odoo_venv
        ensure_addons_link
        ensure_postgres
        [ -n "$DB" ] || DB="helpdesk_sla_test_$$"
        odoo_pass main "$DB" "$KEEP_DB" helpdesk_sla "$TAGS,-$APPS_TAG" 1
        [ -n "$APPS" ] || APPS=$((1 - TAGS_GIVEN))
        if [ "$APPS" -eq 1 ]; then
            missing=()
            for module in "${APPS_MODULES[@]}"; do
                [ -f "$ODOO_HOME/addons/$module/__manifest__.py" ] || missing+=("$module")
            done
            if [ ${#missing[@]} -gt 0 ]; then
                warn "ODOO APPS PASS SKIPPED: ${missing[*]} not in $ODOO_HOME/addons, so the after-sales and live-chat tests (tag $APPS_TAG) did not run."
            else
                apps_keep=0
                [ -z "$APPS_DB" ] || apps_keep=1
                # no demo data: the apps' demo slows their install (~20 %) and their tests make their own data
                odoo_pass apps "${APPS_DB:-helpdesk_sla_apps_test_$$}" "$apps_keep" \
                    "helpdesk_sla,$(IFS=','; echo "${APPS_MODULES[*]}")" "$(apps_tags "$TAGS")" 0
            fi
        fi
    fi
fi

if [ ${#FAILED[@]} -gt 0 ]; then
    die "FAILED tiers: ${FAILED[*]}"
fi
say "All requested tiers passed."
