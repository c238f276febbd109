"""Judge an Odoo test run from its log: any ERROR/CRITICAL line, test failure or
non-zero exit fails it; ERROR/WARNING lines of helpdesk_sla are shown.

Usage: odoo_log_summary.py LOGFILE EXIT_CODE
"""
import re
import sys

RESULT = re.compile(r'odoo\.tests\.result: (\d+) failed, (\d+) error\(s\) of (\d+) tests')
LEVEL = re.compile(r'^\d{4}-\d\d-\d\d [\d:,]+ \d+ (ERROR|CRITICAL|WARNING) (\S+) (\S+): ')


def main(path, exit_code):
    failed = errors = total = 0
    bad_lines, warnings = [], []
    with open(path, encoding='utf-8', errors='replace') as log:
        lines = log.read().splitlines()
    for number, line in enumerate(lines):
        if match := RESULT.search(line):
            failed += int(match[1])
            errors += int(match[2])
            total += int(match[3])
        if match := LEVEL.match(line):
            level, logger = match[1], match[3]
            if level in ('ERROR', 'CRITICAL'):
                bad_lines.append('\n'.join(lines[number:number + 25]))
            elif logger.startswith('odoo.addons.helpdesk_sla'):
                warnings.append(line)
    for block in bad_lines:
        print(block, '\n' + '-' * 80)
    for line in warnings:
        print(line)
    if warnings:
        print(f"{len(warnings)} WARNING line(s) from helpdesk_sla in {path}")
    problems = failed + errors
    if bad_lines and not problems:
        problems = 1  # an ERROR outside any test (install, data file, ...) fails the tier
    print(f"odoo: {total - failed - errors} passed, {failed + errors} failed (log: {path})")
    if total == 0:
        print("odoo: no test ran -- the Odoo tier must run tests")
        return 1
    if int(exit_code) != 0 or problems or warnings:
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
