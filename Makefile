# Shortcuts for the dev harness; each target is also a plain script under tools/.
.PHONY: run setup test lint pure odoo bench screenshots pot wheel deps loadtest

run:        ## set up what is missing and serve Odoo with demo data on 127.0.0.1:8069
	bash tools/run.sh

setup:      ## set up everything and create the demo database, without serving
	bash tools/run.sh --setup-only

test:       ## the whole suite: static, pure and (when Odoo 19 is present) Odoo tiers
	bash tools/test.sh

lint:       ## static tier only
	bash tools/test.sh --tier static

pure:       ## pure-Python tier only
	bash tools/test.sh --tier pure

odoo:       ## Odoo tier only
	bash tools/test.sh --tier odoo

bench:      ## benchmarks: SLA engine throughput and report queries, printed with ratios
	bash tools/bench.sh

screenshots: ## screenshots of the README and the app page, from a fresh demo database in headless Chromium
	bash tools/screenshots.sh

pot:        ## regenerate i18n/helpdesk_sla.pot with Odoo's own export
	bash tools/pot.sh

wheel:      ## the addon's wheel odoo-addon-helpdesk_sla in dist/, built with whool, checked with pip
	bash tools/wheel.sh

deps:       ## the dependency tree and manifestoo's checks (found, licences, development status)
	bash tools/deps.sh

loadtest:   ## bounded loopback load and fault run against a prefork Odoo on a fresh database
	bash tools/loadtest.sh
