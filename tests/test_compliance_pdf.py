import re
import shutil
import subprocess
from datetime import date, datetime

from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from .common import HelpdeskCommon


@tagged('post_install', '-at_install')
class TestCompliancePdf(HelpdeskCommon, HttpCase):
    """The SLA compliance report printed as a real PDF by wkhtmltopdf, read back with
    ``pdftotext``: what a manager gets on paper, not the HTML the test mode renders.

    The data set (Support team, Mon–Fri 09:00–17:00 UTC; High: respond in 2 h, solve in 4 h):

    * A, High, Mon 09:00: answered 10:00, solved 11:00 (both on time), rated 5;
    * B, High, Mon 09:00: answered 12:00 (1 h late), solved 15:00 (2 h late), rated 2;
    * C, High, Tue 09:00: never answered, both deadlines long passed;
    * D, Low (no policy), Mon 10:00: solved 11:00.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env['helpdesk.sla'].create([{
            'name': "High: respond in 2 h", 'team_id': cls.team.id, 'priority': '2',
            'target_type': 'first_response', 'time': 2.0,
        }, {
            'name': "High: solve in 4 h", 'team_id': cls.team.id, 'priority': '2',
            'target_type': 'resolution', 'stage_id': cls.stage_solved.id, 'time': 4.0,
        }])

    def setUp(self):
        super().setUp()
        wkhtmltopdf_state = self.env['ir.actions.report'].get_wkhtmltopdf_state()
        if wkhtmltopdf_state != 'ok' or not shutil.which('pdftotext'):
            self.skipTest(
                f"the PDF of the compliance report is not checked: wkhtmltopdf is {wkhtmltopdf_state!r} and "
                f"pdftotext is {'present' if shutil.which('pdftotext') else 'absent'} "
                "(apt-get install wkhtmltopdf poppler-utils, or bash tools/run.sh --setup-only)")

    def _at(self, when, action):
        with self.travel(when):
            result = action()
            self.env.flush_all()
        return result

    def _reply(self, ticket):
        ticket.message_post(body="On it", message_type='comment', subtype_xmlid='mail.mt_comment',
                            author_id=self.agent.partner_id.id)

    def _solve(self, ticket):
        ticket.write({'stage_id': self.stage_solved.id})

    def _rate(self, ticket, value):
        ticket.rating_apply(value, token=ticket._rating_get_access_token())

    def _build_data_set(self):
        at, create = self._at, self._create_ticket
        ticket_a = at(datetime(2026, 3, 2, 9, 0), lambda: create(name="A", priority='2'))
        ticket_b = at(datetime(2026, 3, 2, 9, 0), lambda: create(name="B", priority='2'))
        ticket_d = at(datetime(2026, 3, 2, 10, 0), lambda: create(name="D", priority='0'))
        at(datetime(2026, 3, 2, 10, 0), lambda: self._reply(ticket_a))
        at(datetime(2026, 3, 2, 11, 0), lambda: self._solve(ticket_a | ticket_d))
        at(datetime(2026, 3, 2, 12, 0), lambda: self._reply(ticket_b))
        at(datetime(2026, 3, 2, 13, 0), lambda: self._rate(ticket_a, 5))
        at(datetime(2026, 3, 2, 15, 0), lambda: self._solve(ticket_b))
        at(datetime(2026, 3, 2, 16, 0), lambda: self._rate(ticket_b, 2))
        at(datetime(2026, 3, 3, 9, 0), lambda: create(name="C", priority='2'))
        self.env.invalidate_all()

    def _pdf_text(self, wizard):
        """The report of ``wizard`` rendered to PDF by wkhtmltopdf, as laid-out text.

        Debian's wkhtmltopdf (Qt 5) draws text set in web fonts (the company's report font,
        Lato by default) as outlines, which no tool reads back: for this test only, the
        page is set in a system font, so the glyphs stay text; layout and figures are the
        report's own."""
        self.env['ir.ui.view'].create({
            'name': "test: compliance report in a system font",
            'type': 'qweb',
            'inherit_id': self.env.ref('helpdesk_sla.report_sla_compliance_document').id,
            'arch': """<xpath expr="//div[hasclass('page')]" position="before">
                <style>.page, .page * { font-family: 'DejaVu Sans', sans-serif !important; }</style>
            </xpath>""",
        })
        pdf, report_type = self.env['ir.actions.report'].with_context(
            force_report_rendering=True, tz='UTC', lang='en_US',
        )._render_qweb_pdf('helpdesk_sla.action_report_sla_compliance', wizard.ids)
        self.assertEqual(report_type, 'pdf')
        self.assertTrue(pdf.startswith(b'%PDF-'), "wkhtmltopdf made a PDF document")
        result = subprocess.run(['pdftotext', '-layout', '-', '-'], input=pdf, capture_output=True,
                                check=True, timeout=60)
        return result.stdout.decode()

    def test_compliance_pdf_figures(self):
        self._build_data_set()
        night_desk = self.env['helpdesk.team'].create({
            'name': "Night Desk", 'use_sla': False, 'stage_ids': [Command.set(self.stages.ids)]})
        wizard = self.env['helpdesk.sla.compliance.wizard'].with_context(tz='UTC').create({
            'team_ids': [Command.set((self.team | night_desk).ids)],
            'date_from': date(2026, 3, 2), 'date_to': date(2026, 3, 8),
        })
        text = self._pdf_text(wizard)
        lines = [' '.join(line.split()) for line in text.splitlines() if line.strip()]
        self.assertIn("SLA Compliance", lines)
        self.assertIn("Tickets created from 03/02/2026 to 03/08/2026.", lines)

        def row(label):
            found = [line for line in lines if line.startswith(label + ' ')]
            self.assertEqual(len(found), 1, f"one row {label!r} in:\n{text}")
            return found[0]

        # Priority, Tickets, Met, Failed, Compliance, Avg. First Response, Avg. Resolution, CSAT
        self.assertEqual(row("High"), "High 3 1 2 33% 2.0 h 4.0 h 50%")
        self.assertEqual(row("Low"), "Low 1 0 0 – – 1.0 h –")
        self.assertEqual(row("All priorities"), "All priorities 4 1 2 33% 2.0 h 3.0 h 50%")
        self.assertIn("3.5 / 5, 2 ratings", text.replace('\n', ' '), "the CSAT cell's average and count")
        self.assertIn("Night Desk", lines)
        self.assertIn("No ticket created in this period.", lines)
        self.assertLess(lines.index("Support"), lines.index("High 3 1 2 33% 2.0 h 4.0 h 50%"))
        self.assertLess(lines.index("All priorities 4 1 2 33% 2.0 h 3.0 h 50%"), lines.index("Night Desk"))
        self.assertTrue(re.search(r"Compliance: met / \(met \+ failed\)", ' '.join(lines)), "the legend")
