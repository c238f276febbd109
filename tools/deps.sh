#!/usr/bin/env bash
# The addon's dependencies checked with manifestoo, as OCA checks its addons: every module of
# the manifest's depends found in Odoo's tree, licences and development statuses compatible.
# Offline and quick (~3 s); needs the Odoo 19 source tree (skipped, with a note, without it).
#
#   bash tools/deps.sh           # the dependency tree, then the checks
#   bash tools/deps.sh --check   # the checks only (the static tier runs this)
source "$(dirname "$0")/lib.sh"

ensure_tool_venv
if ! odoo_present; then
    echo "manifestoo: no Odoo 19 source tree at ODOO_HOME=$ODOO_HOME: dependency check skipped"
    exit 0
fi
ensure_addons_link
MANIFESTOO=("$VENV/bin/manifestoo" --addons-path "$ODOO_HOME/addons,$ODOO_HOME/odoo/addons,$ADDONS_LINK_DIR"
            --no-addons-path-from-import-odoo --select helpdesk_sla)
[ "${1:-}" = "--check" ] || "${MANIFESTOO[@]}" tree
missing=$("${MANIFESTOO[@]}" list-missing)
[ -z "$missing" ] || die "manifestoo: dependencies not found in the addons path: $(echo $missing)"
"${MANIFESTOO[@]}" check-licenses
"${MANIFESTOO[@]}" check-dev-status
echo "manifestoo: dependencies found, licences and development statuses compatible"
