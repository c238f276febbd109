#!/usr/bin/env bash
# Regenerate i18n/helpdesk_sla.pot, the translation template, with Odoo's own export
# (odoo-bin i18n export) from a database with helpdesk_sla installed without demo data,
# so that translators get the addon's strings, not the demo records'.
#
#   bash tools/pot.sh          # or: make pot
#
# The database is HELPDESK_SLA_POT_DB (default helpdesk_sla_pot); it is created when
# missing and updated otherwise. The Odoo tier's TestI18n fails while the file is stale.
source "$(dirname "$0")/lib.sh"

DB=${HELPDESK_SLA_POT_DB:-helpdesk_sla_pot}
POT=$REPO_ROOT/i18n/helpdesk_sla.pot

odoo_present || die "no Odoo 19 at ODOO_HOME=$ODOO_HOME: run 'bash tools/run.sh --setup-only' first"
ensure_odoo_venv
ensure_addons_link
ensure_postgres

if psql -d "$DB" -Atc "select 1 from ir_module_module where name='helpdesk_sla' and state='installed'" 2>/dev/null | grep -q 1 \
   && ! psql -d "$DB" -Atc "select 1 from ir_module_module where demo" 2>/dev/null | grep -q 1; then
    say "Updating helpdesk_sla in database $DB"
    odoo_bin -d "$DB" -u helpdesk_sla --stop-after-init --max-cron-threads=0 --log-level=warn --http-interface=127.0.0.1
else
    say "Creating database $DB with helpdesk_sla, without demo data"
    dropdb --if-exists "$DB"
    odoo_bin -d "$DB" -i helpdesk_sla --stop-after-init --max-cron-threads=0 --log-level=warn --http-interface=127.0.0.1
fi

say "Exporting the translation template to i18n/helpdesk_sla.pot"
mkdir -p "$(dirname "$POT")"
LOG=$(mktemp -t helpdesk_sla_pot_XXXX.log)
odoo_bin i18n export -d "$DB" helpdesk_sla -o "$POT" > "$LOG" 2>&1 || { cat "$LOG"; die "the export failed"; }
grep -E ' (WARNING|ERROR|CRITICAL) ' "$LOG" && die "the export logged problems (log: $LOG)"
rm -f "$LOG"
[ -s "$POT" ] || die "the export wrote nothing to $POT"
say "i18n/helpdesk_sla.pot: $(grep -c '^msgid "' "$POT") terms"
