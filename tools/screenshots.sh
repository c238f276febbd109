#!/usr/bin/env bash
# Take the screenshots of the README and of the app page (static/description/) from a
# database with the demo data, in headless Chromium.
#
#   bash tools/screenshots.sh                  # rebuild the demo database, start Odoo, take every screenshot
#   bash tools/screenshots.sh --keep-db        # reuse the database (updates the addon): faster, older demo dates
#   bash tools/screenshots.sh --only ticket,portal
#
# Odoo runs on a free loopback port against HELPDESK_SLA_SHOTS_DB (default helpdesk_sla_shots)
# and is stopped at the end. The demo data is rebuilt by default so that the SLA countdowns
# show fresh tickets ("25 min left"), not tickets that are days late.
source "$(dirname "$0")/lib.sh"

DB=${HELPDESK_SLA_SHOTS_DB:-helpdesk_sla_shots}
KEEP_DB=0
EXTRA=()
while [ $# -gt 0 ]; do
    case "$1" in
        --keep-db) KEEP_DB=1; shift ;;
        --only) EXTRA+=(--only "$2"); shift 2 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) die "unknown argument: $1" ;;
    esac
done

odoo_present || die "no Odoo 19 at ODOO_HOME=$ODOO_HOME: run 'bash tools/run.sh --setup-only' first"
if ! command -v chromium >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1; then
    say "Installing Chromium (Debian package chromium)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
ensure_odoo_venv
ensure_addons_link
ensure_postgres

installed() {
    psql -d "$DB" -Atc "select 1 from ir_module_module where name='helpdesk_sla' and state='installed'" 2>/dev/null | grep -q 1
}
if [ "$KEEP_DB" -eq 1 ] && installed; then
    say "Updating helpdesk_sla in database $DB"
    odoo_bin -d "$DB" -u helpdesk_sla --stop-after-init --max-cron-threads=0 --log-level=warn
else
    say "Creating database $DB with helpdesk_sla and its demo data"
    dropdb --if-exists "$DB"
    odoo_bin -d "$DB" -i helpdesk_sla --with-demo --stop-after-init --max-cron-threads=0 --log-level=warn
fi

PORT=$(free_port)
LOG=$(mktemp -t helpdesk_sla_shots_XXXX.log)
say "Starting Odoo on http://127.0.0.1:$PORT (log: $LOG)"
# odoo-bin itself in the background (not the odoo_bin function's subshell), so that $! is Odoo
"$VENV/bin/python" "$ODOO_HOME/odoo-bin" --addons-path="$ODOO_HOME/addons,$ADDONS_LINK_DIR" \
    -d "$DB" --db-filter="^$DB\$" --http-interface=127.0.0.1 --http-port="$PORT" \
    --max-cron-threads=0 --log-level=warn > "$LOG" 2>&1 &
ODOO_PID=$!
trap 'kill "$ODOO_PID" 2>/dev/null || true; wait "$ODOO_PID" 2>/dev/null || true' EXIT

healthy() {
    "$VENV/bin/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)" \
        "http://127.0.0.1:$PORT/web/health" >/dev/null 2>&1
}
for _ in $(seq 1 120); do
    healthy && break
    kill -0 "$ODOO_PID" 2>/dev/null || die "Odoo stopped at start-up; see $LOG"
    sleep 1
done
healthy || die "Odoo did not answer on port $PORT; see $LOG"

say "Taking the screenshots into static/description/"
"$VENV/bin/python" "$REPO_ROOT/tools/screenshots.py" --url "http://127.0.0.1:$PORT" --db "$DB" "${EXTRA[@]}"
