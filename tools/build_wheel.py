"""Build the addon's wheel, odoo-addon-helpdesk_sla, with whool (as OCA builds its addons).

    python tools/build_wheel.py [--dist DIR] [--check]

whool names the distribution after the addon's folder, and this checkout may sit in a folder
of any name (a clone, a git worktree): the addon's tracked files are copied into a folder
named helpdesk_sla, with a PKG-INFO carrying the name and the version computed on the real
checkout (manifest version + commits since it last changed, OCA's scheme), and whool builds
the wheel from there. The dev harness (tools/, .ci/, dot files) is left out of the wheel.

--check installs the wheel into a scratch folder (no dependencies) and verifies the addon
is where Odoo looks for installed addons (odoo/addons/helpdesk_sla) with its metadata.
"""

import argparse
import email.generator
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from manifestoo_core.metadata import metadata_from_addon_dir

ADDON = 'helpdesk_sla'
DIST_NAME = f'odoo-addon-{ADDON}'
REPO = Path(__file__).resolve().parent.parent
HARNESS = ('tools/', '.ci/', '.')


def addon_files():
    out = subprocess.run(['git', 'ls-files', '--cached', '--others', '--exclude-standard', '-z'],
                         cwd=REPO, check=True, capture_output=True, text=True).stdout
    return sorted(path for path in out.split('\0')
                  if path and not path.startswith(HARNESS) and (REPO / path).is_file())


def build(dist):
    metadata = metadata_from_addon_dir(REPO)  # version: manifest + git commits since its change
    metadata.replace_header('Name', DIST_NAME)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / ADDON
        for path in addon_files():
            (src / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / path, src / path)
        with open(src / 'PKG-INFO', 'w', encoding='utf-8') as pkg_info:
            email.generator.Generator(pkg_info, mangle_from_=False, maxheaderlen=0).flatten(metadata)
        dist.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--quiet', '--no-deps', '--no-build-isolation',
                        '--wheel-dir', str(dist), str(src)], check=True)
    wheel = dist / f"odoo_addon_{ADDON}-{metadata['Version']}-py3-none-any.whl"
    if not wheel.is_file():
        sys.exit(f"whool did not build {wheel}")
    return wheel, metadata


def check(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        meta = next(name for name in names if name.endswith('.dist-info/METADATA'))
        metadata = archive.read(meta).decode()
    problems = []
    if f'odoo/addons/{ADDON}/__manifest__.py' not in names:
        problems.append("no odoo/addons/helpdesk_sla/__manifest__.py")
    if any(name.startswith(f'odoo/addons/{ADDON}/tools/') for name in names):
        problems.append("the dev harness is in the wheel")
    if f'Name: {DIST_NAME}' not in metadata.splitlines():
        problems.append(f"not named {DIST_NAME}")
    if not any(line.startswith('Requires-Dist: odoo') for line in metadata.splitlines()):
        problems.append("no dependency on Odoo")
    with tempfile.TemporaryDirectory() as target:
        subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps', '--no-index',
                        '--target', target, str(wheel)], check=True)
        if not (Path(target) / 'odoo' / 'addons' / ADDON / '__manifest__.py').is_file():
            problems.append("pip install did not put the addon in odoo/addons")
    requires = [line for line in metadata.splitlines() if line.startswith('Requires-Dist:')]
    print(f"{wheel.name}: {len(names)} files; " + "; ".join(requires))
    if problems:
        sys.exit("wheel check failed: " + ", ".join(problems))
    print("wheel check: installs as odoo/addons/helpdesk_sla with its metadata")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--dist', type=Path, default=REPO / 'dist', help="where the wheel goes (default: dist/)")
    parser.add_argument('--check', action='store_true', help="verify the wheel installs with pip")
    args = parser.parse_args()
    wheel, _metadata = build(args.dist.resolve())
    print(f"built {wheel}")
    if args.check:
        check(wheel)


if __name__ == '__main__':
    main()
