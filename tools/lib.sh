# Shared helpers of the dev harness; sourced by tools/*.sh, never run alone.
# Locations (each can be overridden from the environment):
#   HELPDESK_SLA_CACHE  per-user cache holding the Odoo checkout, the virtualenv and the addons link
#   ODOO_HOME           an existing Odoo 19 source tree (default: $HELPDESK_SLA_CACHE/odoo)
#   HELPDESK_SLA_VENV   the virtualenv running Odoo and the tools (default: $HELPDESK_SLA_CACHE/venv)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${HELPDESK_SLA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/helpdesk_sla}
ODOO_HOME=${ODOO_HOME:-$CACHE_DIR/odoo}
VENV=${HELPDESK_SLA_VENV:-$CACHE_DIR/venv}
# one addons folder per checkout, so two clones (or git worktrees) never test each other's code
ADDONS_LINK_DIR=$CACHE_DIR/addons/$(printf '%s' "$REPO_ROOT" | sha1sum | cut -c1-10)
PYTHON_BIN=${PYTHON_BIN:-python3}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
warn() { printf '\033[1;33m!!! %s\033[0m\n' "$*" >&2; }
die() { printf '\033[1;31mxxx %s\033[0m\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# True when $ODOO_HOME holds an Odoo 19 source tree.
odoo_present() {
    [ -f "$ODOO_HOME/odoo-bin" ] && [ -f "$ODOO_HOME/odoo/release.py" ] &&
        grep -Eq "^version_info = \(19, " "$ODOO_HOME/odoo/release.py"
}

# Create the virtualenv with the harness tools (pytest, linters); cheap when already done.
ensure_tool_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        say "Creating the virtualenv $VENV"
        "$PYTHON_BIN" -m venv "$VENV" || die "python3 -m venv failed: install python3-venv (apt-get install python3-venv)"
    fi
    local stamp="$VENV/.helpdesk_sla-dev-$(sha1sum "$REPO_ROOT/tools/requirements-dev.txt" | cut -c1-12)"
    if [ ! -f "$stamp" ]; then
        say "Installing the test tools into $VENV"
        "$VENV/bin/pip" install --quiet --upgrade pip wheel packaging
        "$VENV/bin/pip" install --quiet -r "$REPO_ROOT/tools/requirements-dev.txt"
        touch "$stamp"
    fi
}

# Install Odoo's Python requirements into the virtualenv (once per requirements.txt).
ensure_odoo_venv() {
    ensure_tool_venv
    local stamp="$VENV/.helpdesk_sla-odoo-$(sha1sum "$ODOO_HOME/requirements.txt" | cut -c1-12)"
    if [ ! -f "$stamp" ]; then
        say "Installing Odoo's Python requirements into $VENV"
        local reqs
        reqs=$(mktemp)
        "$VENV/bin/python" "$REPO_ROOT/tools/odoo_requirements.py" "$ODOO_HOME/requirements.txt" > "$reqs"
        "$VENV/bin/pip" install --quiet -r "$reqs"
        rm -f "$reqs"
        touch "$stamp"
    fi
}

# Odoo finds the addon through a link named helpdesk_sla, whatever the checkout's folder is called.
ensure_addons_link() {
    mkdir -p "$ADDONS_LINK_DIR"
    ln -sfn "$REPO_ROOT" "$ADDONS_LINK_DIR/helpdesk_sla"
}

# Make sure a PostgreSQL server answers on the default socket and that the current
# user may create databases (Odoo refuses to connect as "postgres").
ensure_postgres() {
    if ! command -v pg_isready >/dev/null 2>&1 || ! command -v pg_lsclusters >/dev/null 2>&1; then
        say "Installing PostgreSQL"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client >/dev/null
    fi
    if ! pg_isready -q; then
        if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
            local version
            version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
            say "Creating a PostgreSQL $version cluster"
            as_root pg_createcluster "$version" main >/dev/null
        fi
        say "Starting PostgreSQL"
        pg_lsclusters -h | while read -r version name _; do
            as_root pg_ctlcluster "$version" "$name" start || true
        done
        for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
        pg_isready -q || die "PostgreSQL did not start (see /var/log/postgresql/)"
    fi
    local me
    me=$(id -un)
    if ! psql -d postgres -Atc "select 1" >/dev/null 2>&1; then
        say "Creating the PostgreSQL role $me"
        as_root su postgres -c "createuser --superuser '$me'" ||
            die "could not create the PostgreSQL role $me"
    fi
}

odoo_bin() {
    "$VENV/bin/python" "$ODOO_HOME/odoo-bin" \
        --addons-path="$ODOO_HOME/addons,$ADDONS_LINK_DIR" "$@"
}

# A free TCP port on the loopback, for Odoo's HTTP server during tests.
free_port() {
    "$PYTHON_BIN" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
