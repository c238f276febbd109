"""Print Odoo's requirements.txt as the pins it gives for Python 3.12.

Odoo 19 pins older packages for Python 3.11 (e.g. cryptography 3.4.8) that no
longer build; the Python 3.12 pins install and run on 3.11 too. Packages that
need system headers for optional features (python-ldap) are left out.
"""
import sys

from packaging.requirements import Requirement

TARGET = {'python_version': '3.12', 'python_full_version': '3.12.0', 'sys_platform': 'linux'}
SKIPPED = {'python-ldap', 'pypiwin32'}


def main(path):
    with open(path, encoding='utf-8') as requirements:
        lines = requirements.read().splitlines()
    for line in lines:
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        if requirement.name in SKIPPED:
            continue
        if requirement.marker is None or requirement.marker.evaluate(TARGET):
            print(f"{requirement.name}{requirement.specifier}")


if __name__ == '__main__':
    main(sys.argv[1])
