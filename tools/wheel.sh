#!/usr/bin/env bash
# Build the addon's wheel (odoo-addon-helpdesk_sla, with whool) into dist/ and check that pip
# installs it as odoo/addons/helpdesk_sla. Extra arguments go to tools/build_wheel.py.
source "$(dirname "$0")/lib.sh"
ensure_tool_venv
cd "$REPO_ROOT"
"$VENV/bin/python" tools/build_wheel.py --check "$@"
