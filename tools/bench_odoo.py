"""Boot Odoo on a database and run benchmark suites.

Each suite is ``tools/bench/<name>.py`` defining ``run(env, report)``; it runs in
one transaction that is rolled back, so the benchmark database keeps only the
history it is given once (``common.ensure_history``).

Usage: bench_odoo.py --odoo ODOO_HOME --addons PATHS -d DB SUITE [SUITE ...]
"""
import argparse
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--odoo', required=True)
    parser.add_argument('--addons', required=True)
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('suites', nargs='+')
    args = parser.parse_args()

    sys.path.insert(0, args.odoo)
    sys.path.insert(0, str(HERE / 'bench'))
    import odoo  # Odoo lives outside the project, found through --odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(['--addons-path', args.addons, '-d', args.database, '--log-level', 'warn',
                         '--max-cron-threads', '0', '--http-interface', '127.0.0.1'], setup_logging=True)
    registry = Registry(args.database)
    from common import Report, ensure_history  # tools/bench/common.py, on sys.path above

    with registry.cursor() as cr:
        ensure_history(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}))

    for name in args.suites:
        spec = importlib.util.spec_from_file_location(f'bench_{name}', HERE / 'bench' / f'{name}.py')
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {'tracking_disable': False})
            try:
                module.run(env, Report(name))
            finally:
                cr.rollback()


if __name__ == '__main__':
    main()
