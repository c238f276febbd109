#!/usr/bin/env bash
# Benchmarks of the SLA engine on a dedicated database (created once, reused):
#   bash tools/bench.sh            # all benchmarks
#   bash tools/bench.sh sla        # only the named suite(s): sla, worktime, reporting
# Figures are printed as throughput and as ratios against bare tickets.
source "$(dirname "$0")/lib.sh"

odoo_present || die "benchmarks need Odoo 19: set ODOO_HOME or run 'bash tools/run.sh --setup-only' first"
ensure_odoo_venv
ensure_addons_link
ensure_postgres
# one benchmark database per checkout (two clones or worktrees never update it to each other's code)
DB=${HELPDESK_SLA_BENCH_DB:-helpdesk_sla_bench_$(basename "$ADDONS_LINK_DIR")}
SUITES=("$@")
[ ${#SUITES[@]} -gt 0 ] || SUITES=(worktime sla assignment escalation reporting)

if ! psql -d "$DB" -Atc "select 1 from ir_module_module where name='helpdesk_sla' and state='installed'" 2>/dev/null | grep -q 1; then
    say "Creating benchmark database $DB"
    dropdb --if-exists "$DB"
    odoo_bin -d "$DB" -i helpdesk_sla --stop-after-init --max-cron-threads=0 --log-level=warn --http-interface=127.0.0.1
else
    odoo_bin -d "$DB" -u helpdesk_sla --stop-after-init --max-cron-threads=0 --log-level=warn --http-interface=127.0.0.1
fi

# each suite rolls back its data: start every run from a vacuumed, analysed database, not
# from the dead rows of the previous run
psql -d "$DB" -qc "VACUUM ANALYZE"

for suite in "${SUITES[@]}"; do
    case "$suite" in
        worktime) say "worktime: pure business-time arithmetic"; "$VENV/bin/python" "$REPO_ROOT/tools/bench_worktime.py" ;;
        *) say "$suite"
           "$VENV/bin/python" "$REPO_ROOT/tools/bench_odoo.py" --odoo "$ODOO_HOME" \
               --addons "$ODOO_HOME/addons,$ADDONS_LINK_DIR" -d "$DB" "$suite" ;;
    esac
done
