import random
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from unittest.mock import patch

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL

# (subject, team xmlid, ticket type xmlid, tag xmlid) of the demo history
HISTORY_REQUESTS = [
    ("Invoice sent to the wrong address", 'team_billing', 'ticket_type_question', 'tag_billing'),
    ("Payment not showing on my account", 'team_billing', 'ticket_type_question', 'tag_billing'),
    ("Credit card declined on renewal", 'team_billing', 'ticket_type_incident', 'tag_billing'),
    ("Please add our PO number to the invoice", 'team_billing', 'ticket_type_question', 'tag_billing'),
    ("Charged in USD instead of EUR", 'team_billing', 'ticket_type_incident', 'tag_billing'),
    ("How do I change my billing contact?", 'team_billing', 'ticket_type_question', 'tag_billing'),
    ("Discount missing from the quote", 'team_billing', 'ticket_type_question', 'tag_billing'),
    ("Cannot log in after password reset", 'team_technical', 'ticket_type_incident', 'tag_login'),
    ("Two-factor code never arrives", 'team_technical', 'ticket_type_incident', 'tag_login'),
    ("Export to Excel times out", 'team_technical', 'ticket_type_incident', 'tag_bug'),
    ("Label printer prints blank pages", 'team_technical', 'ticket_type_incident', 'tag_hardware'),
    ("Dashboard shows yesterday's figures", 'team_technical', 'ticket_type_incident', 'tag_bug'),
    ("Please add a dark mode", 'team_technical', 'ticket_type_feature_request', 'tag_feature'),
    ("Barcode scanner not recognised", 'team_technical', 'ticket_type_incident', 'tag_hardware'),
    ("API returns 500 on large orders", 'team_technical', 'ticket_type_incident', 'tag_bug'),
]
HISTORY_CUSTOMERS = ['partner_northwind', 'partner_bluesky', 'partner_greenleaf', 'partner_maria',
                     'partner_tom', 'partner_yuki']
GOOD_FEEDBACK = ["Quick and clear, thank you!", "Solved in one go.", "Lena was very helpful.", "", ""]
BAD_FEEDBACK = ["It took days to get an answer.", "I had to explain the problem three times.",
                "Still not fixed properly."]


class HelpdeskTicket(models.Model):
    """Demo data only: months of solved tickets so that the reports and the overview show a
    real history (response times, breaches, ratings good and bad)."""

    _inherit = 'helpdesk.ticket'

    @api.model
    def _demo_generate_history(self, weeks=16, seed=16):
        """Replay ``weeks`` of weekday tickets of the demo teams on a controlled clock: each is
        created, answered, sometimes put on hold, solved and often rated, at past times, through
        the ordinary methods (so SLA lines, working hours and reports are the engine's own).
        Called from demo/helpdesk_demo_history.xml; deterministic for a given ``seed``."""
        ref = self.env.ref
        teams = {xmlid: ref(f'helpdesk_sla.{xmlid}', raise_if_not_found=False)
                 for xmlid in ('team_billing', 'team_technical')}
        params = self.env['ir.config_parameter'].sudo()
        if not all(teams.values()) or params.get_param('helpdesk_sla.demo_history'):
            return  # no demo teams, or the history is there already (the demo file runs on updates too)
        customers = [ref(f'helpdesk_sla.{xmlid}') for xmlid in HISTORY_CUSTOMERS]
        agents = ref('helpdesk_sla.user_agent_lena') | ref('helpdesk_sla.user_agent_omar')
        stage_waiting, stage_solved = ref('helpdesk_sla.stage_waiting'), ref('helpdesk_sla.stage_solved')
        rng = random.Random(seed)
        today = fields.Datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        first_day = today - timedelta(weeks=weeks)
        last_mail = self.env['mail.mail'].sudo().search([], order='id desc', limit=1).id or 0
        Ticket = self.with_context(mail_notify_force_send=False, mail_create_nosubscribe=True)
        for offset in range(weeks * 7 - 3):  # up to three days ago: recent days belong to the live demo
            day = first_day + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for _index in range(rng.choice([0, 1, 1])):
                subject, team_xmlid, type_xmlid, tag_xmlid = rng.choice(HISTORY_REQUESTS)
                created = datetime.combine(day.date(), time(rng.randint(8, 16), rng.choice([0, 10, 25, 40, 55])))
                agent = rng.choice(agents)
                with self._demo_clock(created):
                    ticket = Ticket.create({
                        'name': subject,
                        'team_id': teams[team_xmlid].id,
                        'partner_id': rng.choice(customers).id,
                        'priority': rng.choices(['0', '1', '2', '3'], weights=[3, 4, 2, 1])[0],
                        'ticket_type_id': ref(f'helpdesk_sla.{type_xmlid}').id,
                        'tag_ids': [fields.Command.link(ref(f'helpdesk_sla.{tag_xmlid}').id)],
                        'channel': rng.choices(['email', 'web_form', 'portal', 'phone'], weights=[5, 2, 2, 1])[0],
                        'user_id': agent.id,
                    })
                # one reply in five is days late: a breach the reports show
                late = rng.random() < 1 / 5
                replied = created + timedelta(minutes=rng.randint(1500, 5000) if late else rng.randint(5, 40))
                with self._demo_clock(replied):
                    ticket.with_user(agent).message_post(
                        body=Markup("<p>%s</p>") % "Thank you for your message: we are looking into it.",
                        message_type='comment', subtype_xmlid='mail.mt_comment', date=replied)
                solved = replied + timedelta(hours=rng.choice([1, 2, 3, 5, 20, 26, 50, 75, 120]))
                if rng.random() < 0.25:  # asked the customer something first
                    with self._demo_clock(replied + timedelta(minutes=5)):
                        ticket.with_user(agent).stage_id = stage_waiting
                    with self._demo_clock(solved - timedelta(minutes=30)):
                        ticket.message_post(
                            body=Markup("<p>%s</p>") % "Here is the information you asked for.",
                            author_id=ticket.partner_id.id, message_type='email',
                            subtype_xmlid='mail.mt_comment', date=solved - timedelta(minutes=30))
                with self._demo_clock(solved):
                    ticket.with_user(agent).stage_id = stage_solved
                if rng.random() < 0.6:
                    rated = solved + timedelta(hours=rng.randint(1, 30))
                    unhappy = late or rng.random() < 0.1
                    score = rng.choice([1, 1, 3]) if unhappy else rng.choice([5, 5, 5, 3])
                    feedback = rng.choice(BAD_FEEDBACK if score == 1 else GOOD_FEEDBACK)
                    with self._demo_clock(rated):
                        token = ticket._rating_get_access_token()
                        ticket.rating_apply(score, token=token, feedback=feedback)
        # the history's emails were sent long ago: none waits in the outgoing queue
        self.env['mail.mail'].sudo().search([('id', '>', last_mail)]).unlink()
        self.env.invalidate_all()
        params.set_param('helpdesk_sla.demo_history', fields.Date.to_string(today))

    @contextmanager
    def _demo_clock(self, when):
        """Run a step of the demo history at ``when``: the clock of the SLA engine, the creation
        dates of the records and the dates of the messages posted in the step (demo data only)."""
        self.env.flush_all()
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_message")
        last_message = self.env.cr.fetchone()[0]
        with patch.object(fields.Datetime, 'now', lambda *args: when), \
                patch.object(self.env.cr, 'now', lambda: when):
            yield
            self.env.flush_all()
        self.env.cr.execute(SQL("UPDATE mail_message SET date = %s WHERE id > %s", when, last_message))
        self.env.invalidate_all()
