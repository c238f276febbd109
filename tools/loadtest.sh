#!/usr/bin/env bash
# Bounded, loopback-only load and fault run against a prefork Odoo on a fresh database
# (see tools/loadtest.py --help). Exits non-zero when an invariant fails.
#
#   bash tools/loadtest.sh                         # defaults: 100 mails, 20 % duplicated, 100 backlog, 180 s
#   bash tools/loadtest.sh --mails 300 --seconds 180 --db my_loadtest
source "$(dirname "$0")/lib.sh"
odoo_present || die "no Odoo 19 source tree at ODOO_HOME=$ODOO_HOME (run 'bash tools/run.sh --setup-only' once)"
ensure_odoo_venv
ensure_addons_link
ensure_postgres
exec "$VENV/bin/python" "$REPO_ROOT/tools/loadtest.py" --odoo-home "$ODOO_HOME" \
    --addons-path "$ODOO_HOME/addons,$ADDONS_LINK_DIR" "$@"
