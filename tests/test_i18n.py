import io

import polib
from lxml import etree

from odoo.modules.module import get_manifest
from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import file_open, file_path
from odoo.tools.translate import trans_export

MODULE = 'helpdesk_sla'


@tagged('post_install', '-at_install')
class TestI18n(TransactionCase):
    """i18n/helpdesk_sla.pot holds exactly the terms Odoo exports for the addon, its demo
    records aside: a new or changed user-facing string needs `make pot` (tools/pot.sh)."""

    def _demo_xmlids(self):
        """External ids of the records the demo files define (and of their _inherits parents)."""
        names = set()
        for path in get_manifest(MODULE).get('demo', []):
            tree = etree.parse(file_path(f'{MODULE}/{path}'))
            names.update(node.get('id') for node in tree.iter('record', 'template', 'menuitem') if node.get('id'))
        return {name if '.' in name else f'{MODULE}.{name}' for name in names}

    def _is_demo(self, occurrence, demo_xmlids):
        reference = occurrence[0]
        if not reference.startswith('model'):
            return False
        xmlid = reference.rsplit(':', 1)[-1]
        return xmlid in demo_xmlids or any(xmlid.startswith(f'{demo}_') for demo in demo_xmlids)

    def test_pot_is_current(self):
        buffer = io.BytesIO()
        self.assertTrue(trans_export(None, [MODULE], buffer, 'po', self.env), "Odoo exports no term")
        demo_xmlids = self._demo_xmlids()
        exported = {
            entry.msgid for entry in polib.pofile(buffer.getvalue().decode())
            if not entry.occurrences or not all(self._is_demo(occ, demo_xmlids) for occ in entry.occurrences)
        }
        with file_open(f'{MODULE}/i18n/{MODULE}.pot', 'rb') as pot:
            committed = {entry.msgid for entry in polib.pofile(pot.read().decode())}
        missing, stale = sorted(exported - committed), sorted(committed - exported)
        self.assertFalse(
            missing or stale,
            "i18n/helpdesk_sla.pot is not current: run `make pot` (bash tools/pot.sh).\n"
            f"Missing ({len(missing)}): {missing[:10]}\nNo longer exported ({len(stale)}): {stale[:10]}")
