"""Static checks of the addon that need no Odoo: the manifest, its data files,
XML well-formedness, access CSV columns and XML ids."""
import ast
import csv
import sys
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
ACCESS_HEADER = ['id', 'name', 'model_id:id', 'group_id:id',
                 'perm_read', 'perm_write', 'perm_create', 'perm_unlink']
REQUIRED_KEYS = ('name', 'version', 'license', 'depends', 'data')


def check_manifest(problems):
    manifest = ast.literal_eval((ROOT / '__manifest__.py').read_text(encoding='utf-8'))
    for key in REQUIRED_KEYS:
        if key not in manifest:
            problems.append(f"__manifest__.py: missing key {key!r}")
    if not manifest.get('version', '').startswith('19.0.'):
        problems.append("__manifest__.py: version must start with 19.0.")
    listed = manifest.get('data', []) + manifest.get('demo', [])
    for path in listed:
        if not (ROOT / path).is_file():
            problems.append(f"__manifest__.py lists {path}, which does not exist")
    for folder in ('views', 'security', 'data', 'demo', 'wizards', 'report'):
        for path in sorted((ROOT / folder).glob('*.xml')) + sorted((ROOT / folder).glob('*.csv')):
            relative = str(path.relative_to(ROOT))
            if relative not in listed:
                problems.append(f"{relative} is not listed in __manifest__.py")
    return listed


def check_xml(path, problems, seen_ids):
    try:
        tree = etree.parse(str(ROOT / path))
    except etree.XMLSyntaxError as error:
        problems.append(f"{path}: XML does not parse: {error}")
        return
    for node in tree.iter('record', 'template', 'menuitem'):
        xmlid = node.get('id')
        if not xmlid:
            continue
        is_view = node.tag != 'record' or node.get('model') == 'ir.ui.view'
        if is_view and xmlid in seen_ids:  # a second <record> of data updates the first; a view would override
            problems.append(f"{path}: duplicate view id {xmlid} (also in {seen_ids[xmlid]})")
        if is_view:
            seen_ids[xmlid] = path
        if node.tag == 'record' and node.get('model') == 'ir.ui.view':
            name = node.find("field[@name='name']")
            if name is not None and name.text.replace('.', '_') != xmlid:
                problems.append(f"{path}: view {xmlid} is named {name.text!r}; use its id with dots")


def check_access_csv(path, problems):
    with open(ROOT / path, encoding='utf-8', newline='') as handle:
        rows = list(csv.reader(handle))
    if rows[0] != ACCESS_HEADER:
        problems.append(f"{path}: header must be {','.join(ACCESS_HEADER)}")
    ids = [row[0] for row in rows[1:]]
    for row in rows[1:]:
        if len(row) != len(ACCESS_HEADER):
            problems.append(f"{path}: row {row[0]} has {len(row)} columns")
        if any(value not in ('0', '1') for value in row[4:]):
            problems.append(f"{path}: row {row[0]} has permissions other than 0/1")
    if len(ids) != len(set(ids)):
        problems.append(f"{path}: duplicate ids")


def main():
    problems = []
    listed = check_manifest(problems)
    seen_ids = {}
    for path in listed:
        if path.endswith('.xml') and (ROOT / path).is_file():
            check_xml(path, problems, seen_ids)
        elif path.endswith('.csv') and (ROOT / path).is_file() and 'ir.model.access' in path:
            check_access_csv(path, problems)
    for problem in problems:
        print(f"static: {problem}")
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
