#!/usr/bin/env bash
# From a fresh Debian/Ubuntu machine to Odoo 19 serving helpdesk_sla with demo data
# on http://127.0.0.1:8069 (login admin / admin).
#
#   bash tools/run.sh                  # set up what is missing, then serve
#   ODOO_HOME=~/src/odoo bash tools/run.sh   # use an existing Odoo 19 source tree
#   HELPDESK_SLA_DB=other bash tools/run.sh  # another database name
#   bash tools/run.sh --setup-only     # install everything, create the database, do not serve
source "$(dirname "$0")/lib.sh"

DB=${HELPDESK_SLA_DB:-helpdesk_sla}
PORT=${HELPDESK_SLA_PORT:-8069}
SETUP_ONLY=0
[ "${1:-}" = "--setup-only" ] && SETUP_ONLY=1

install_system_packages() {
    local missing=()
    # wkhtmltopdf (Debian's build) prints the PDF reports; poppler-utils' pdftotext lets the
    # Odoo tier read the compliance PDF back (tests/test_compliance_pdf.py skips without them)
    for pkg in git python3-venv python3-dev build-essential libpq-dev libxml2-dev libxslt1-dev \
               libjpeg-dev zlib1g-dev libsasl2-dev libldap2-dev libffi-dev chromium \
               wkhtmltopdf poppler-utils; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "Installing system packages: ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

install_odoo() {
    if odoo_present; then
        return
    fi
    [ -e "$ODOO_HOME" ] && die "ODOO_HOME=$ODOO_HOME exists but is not an Odoo 19 source tree"
    say "Installing Odoo 19 Community from its official source into $ODOO_HOME"
    mkdir -p "$(dirname "$ODOO_HOME")"
    git clone --depth 1 --branch 19.0 https://github.com/odoo/odoo.git "$ODOO_HOME"
}

install_system_packages
install_odoo
ensure_odoo_venv
ensure_addons_link
ensure_postgres

if ! psql -d "$DB" -Atc "select 1 from ir_module_module where name='helpdesk_sla' and state='installed'" 2>/dev/null | grep -q 1; then
    say "Creating database $DB with helpdesk_sla and its demo data"
    dropdb --if-exists "$DB"
    odoo_bin -d "$DB" -i helpdesk_sla --with-demo --stop-after-init --max-cron-threads=0 --http-interface=127.0.0.1 \
        --log-level=warn
else
    say "Updating helpdesk_sla in database $DB"
    odoo_bin -d "$DB" -u helpdesk_sla --stop-after-init --max-cron-threads=0 --log-level=warn --http-interface=127.0.0.1
fi

[ "$SETUP_ONLY" -eq 1 ] && { say "Set up done: database $DB is ready."; exit 0; }
say "Odoo is starting on http://127.0.0.1:$PORT (database $DB, login admin / admin); Ctrl-C stops it."
exec "$VENV/bin/python" "$ODOO_HOME/odoo-bin" --addons-path="$ODOO_HOME/addons,$ADDONS_LINK_DIR" \
    -d "$DB" --db-filter="^$DB\$" --http-interface=127.0.0.1 --http-port="$PORT"
