import logging
from datetime import datetime
from unittest.mock import patch

import psycopg2.errors

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import Form, freeze_time, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MockEmail

from .common import CommittedEscalationCase, HelpdeskCommon

ENGINE_LOGGER = 'odoo.addons.helpdesk_sla.models.helpdesk_sla_status_escalation'
MONDAY = datetime(2026, 3, 2, 9, 0)  # the test calendar works Mon–Fri 09:00–17:00 UTC


class EscalationCommon(HelpdeskCommon, MockEmail):
    """Two policies on any priority (respond in 2 h, solve in 4 h, paused while waiting), an
    "Escalated" stage; rules of other data (demo) archived so they leave these tickets alone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env['helpdesk.escalation.rule']
        cls.Log = cls.env['helpdesk.escalation.log']
        cls.Rule.search([]).active = False
        cls.stage_escalated = cls.env['helpdesk.stage'].create({'name': "Escalated", 'sequence': 4})
        cls.team.stage_ids = [Command.link(cls.stage_escalated.id)]
        Sla = cls.env['helpdesk.sla']
        cls.sla_response = Sla.create({
            'name': "Respond in 2 h", 'team_id': cls.team.id, 'target_type': 'first_response', 'time': 2.0,
            'exclude_stage_ids': [Command.link(cls.stage_waiting.id)],
        })
        cls.sla_resolution = Sla.create({
            'name': "Solve in 4 h", 'team_id': cls.team.id, 'target_type': 'resolution',
            'stage_id': cls.stage_solved.id, 'time': 4.0,
            'exclude_stage_ids': [Command.link(cls.stage_waiting.id)],
        })
        cls.activity_type = cls.env.ref('helpdesk_sla.mail_activity_type_escalation')
        cls.cron = cls.env.ref('helpdesk_sla.ir_cron_helpdesk_escalation')

    @classmethod
    def _rule(cls, **values):
        values.setdefault('name', f"Rule at {values.get('trigger_value', 100)}")
        values.setdefault('team_ids', [Command.set(cls.team.ids)])
        values.setdefault('mark_escalated', False)
        return cls.Rule.create(values)

    @classmethod
    def _demo_like_rules(cls):
        """The three levels of the demo: warn the agent, raise and alert, hand over."""
        return (
            cls._rule(name="Warn", level=1, trigger_value=75, activity_type_id=cls.activity_type.id,
                      activity_summary="SLA at 75 %")
            | cls._rule(name="Alert", level=2, trigger_value=100, raise_priority=True, notify_leader=True,
                        mark_escalated=True)
            | cls._rule(name="Hand over", level=3, trigger_value=150, user_assign='leader',
                        stage_id=cls.stage_escalated.id, mark_escalated=True)
        )

    def _line(self, ticket, sla):
        return ticket.sla_status_ids.filtered(lambda line: line.sla_id == sla)

    def _new_ticket(self, when=MONDAY, **values):
        values.setdefault('priority', '1')
        with self.travel(when):
            return self._create_ticket(**values)

    def _escalate(self, when):
        """The cron's business method at ``when`` (no commit); returns the SLA lines escalated."""
        with self.travel(when):
            count = self.env['helpdesk.sla.status']._escalate_due(when)
        self.env.invalidate_all()
        return count

    def _run_cron(self, when):
        """The real cron job, as the scheduler runs it (it commits, hence the registry test mode)."""
        with self.travel(when), self.enter_registry_test_mode():
            self.cron.sudo().method_direct_trigger()

    def _logs(self, ticket):
        return self.Log.search([('ticket_id', '=', ticket.id)], order='id')

    def _digests(self, user):
        """The escalation digests ``user`` received (one per team and cron batch)."""
        return self.env['mail.message'].search([
            ('message_type', '=', 'user_notification'), ('partner_ids', 'in', user.partner_id.ids),
            ('subject', 'ilike', 'escalated ticket')])

    def _mails_to(self, partner, text):
        """The emails to ``partner`` containing ``text`` sent in the last ``mock_mail_gateway``."""
        return self._new_mails.filtered(lambda mail: partner in mail.recipient_ids and text in str(mail.body_html))


@tagged('post_install', '-at_install')
class TestEscalation(EscalationCommon):

    # ------------------------------------------------------------
    # TRIGGERS
    # ------------------------------------------------------------

    def test_consumed_pct_boundary(self):
        rule = self._rule(trigger_value=75, sla_ids=[Command.link(self.sla_resolution.id)],
                          activity_type_id=self.activity_type.id, activity_summary="Hurry up")
        ticket = self._new_ticket(user_id=self.agent.id)
        line = self._line(ticket, self.sla_resolution)
        self.assertEqual(line.escalation_due_date, datetime(2026, 3, 2, 12, 0), "75 % of 4 h from 09:00")
        self.assertFalse(self._line(ticket, self.sla_response).escalation_due_date, "out of the rule's scope")

        self.assertEqual(self._escalate(datetime(2026, 3, 2, 11, 59, 59)), 0)
        self.assertFalse(self._logs(ticket))
        self.assertEqual(self._escalate(datetime(2026, 3, 2, 12, 0)), 1)
        log = self._logs(ticket)
        self.assertRecordValues(log, [{
            'rule_id': rule.id, 'sla_status_id': line.id, 'sla_id': self.sla_resolution.id,
            'date': datetime(2026, 3, 2, 12, 0), 'level': 1, 'manual': False}])
        activity = ticket.activity_ids
        self.assertRecordValues(activity, [{
            'activity_type_id': self.activity_type.id, 'summary': "Hurry up", 'user_id': self.agent.id}])
        self.assertFalse(line.escalation_due_date, "no rule left for the line")
        self.assertEqual(ticket.escalation_level, 1)
        self.assertFalse(ticket.is_escalated, "the rule does not mark tickets escalated")

        self.assertEqual(self._escalate(datetime(2026, 3, 3, 17, 0)), 0, "a rule fires once per SLA line")
        self.assertEqual(len(self._logs(ticket)), 1)

    def test_before_deadline_counts_working_time(self):
        """Friday 16:00 + 4 h -> Monday 12:00; 3 working hours before is Friday 17:00, not Monday 09:00."""
        self._rule(trigger_type='before_deadline', trigger_value=3, sla_ids=[Command.link(self.sla_resolution.id)])
        ticket = self._new_ticket(when=datetime(2026, 3, 6, 16, 0))
        line = self._line(ticket, self.sla_resolution)
        self.assertEqual(line.deadline, datetime(2026, 3, 9, 12, 0))
        self.assertEqual(line.escalation_due_date, datetime(2026, 3, 6, 17, 0))
        self.assertEqual(self._escalate(datetime(2026, 3, 6, 16, 59, 59)), 0)
        self.assertEqual(self._escalate(datetime(2026, 3, 6, 17, 0)), 1)

    def test_after_deadline_and_past_100_pct(self):
        """Monday 14:00 + 4 h -> Tuesday 10:00. 150 % (6 h) is Tuesday 12:00; 8 working hours
        after the deadline is Wednesday 10:00 (not Tuesday 18:00)."""
        late = self._rule(name="150 %", level=1, trigger_value=150, sla_ids=[Command.link(self.sla_resolution.id)])
        after = self._rule(name="8 h after", level=2, trigger_type='after_deadline', trigger_value=8,
                           sla_ids=[Command.link(self.sla_resolution.id)])
        ticket = self._new_ticket(when=datetime(2026, 3, 2, 14, 0))
        line = self._line(ticket, self.sla_resolution)
        self.assertEqual(line.deadline, datetime(2026, 3, 3, 10, 0))
        self.assertEqual(line.escalation_due_date, datetime(2026, 3, 3, 12, 0))
        self.assertEqual(self._escalate(datetime(2026, 3, 3, 11, 59, 59)), 0)
        self.assertEqual(self._escalate(datetime(2026, 3, 3, 12, 0)), 1)
        self.assertEqual(self._logs(ticket).rule_id, late)
        self.assertEqual(line.escalation_due_date, datetime(2026, 3, 4, 10, 0), "the next rule's trigger")
        self.assertEqual(self._escalate(datetime(2026, 3, 4, 9, 59, 59)), 0)
        self.assertEqual(self._escalate(datetime(2026, 3, 4, 10, 0)), 1)
        self.assertEqual(self._logs(ticket).rule_id, late | after)

    def test_trigger_description_and_checks(self):
        rule = self._rule(trigger_type='before_deadline', trigger_value=0)
        self.assertEqual(rule.trigger_description, "0:00 h before the deadline")
        rule.trigger_value = 1.5
        self.assertEqual(rule.trigger_description, "1:30 h before the deadline", "h:mm, like the SLA policies")
        with self.assertRaises(psycopg2.errors.CheckViolation), mute_logger('odoo.sql_db'):
            self._rule(trigger_type='consumed_pct', trigger_value=0)
        with self.assertRaises(psycopg2.errors.CheckViolation), mute_logger('odoo.sql_db'):
            self._rule(raise_priority=True, set_priority='3')

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def test_all_actions(self):
        team_2 = self.env['helpdesk.team'].create({
            'name': "Second Line", 'leader_id': self.agent_2.id, 'use_sla': False,
            'stage_ids': [Command.set((self.stages | self.stage_escalated).ids)]})
        template = self.env['mail.template'].create({
            'name': "Escalated to the second line",
            'model_id': self.env['ir.model']._get_id('helpdesk.ticket'),
            'subject': "Your ticket {{ object.ticket_ref }} is escalated",
            'body_html': "<p>Our second line takes over your ticket.</p>",
            'partner_to': "{{ object.partner_id.id }}",
        })
        rule = self._rule(
            name="Everything", trigger_value=100, sla_ids=[Command.link(self.sla_resolution.id)],
            raise_priority=True, team_id=team_2.id, user_assign='user', user_id=self.agent_2.id,
            notify_user_ids=[Command.link(self.outsider.id)], add_followers=True,
            activity_type_id=self.activity_type.id, activity_summary="Call the customer", activity_user_type='leader',
            mail_template_id=template.id, stage_id=self.stage_escalated.id, mark_escalated=True)
        ticket = self._new_ticket(user_id=self.agent.id)
        line = self._line(ticket, self.sla_resolution)
        with self.mock_mail_gateway():
            self.assertEqual(self._escalate(datetime(2026, 3, 2, 13, 0)), 1)

        self.assertRecordValues(ticket, [{
            'priority': '2', 'team_id': team_2.id, 'user_id': self.agent_2.id, 'stage_id': self.stage_escalated.id,
            'is_escalated': True, 'escalation_date': datetime(2026, 3, 2, 13, 0), 'escalation_level': 1}])
        self.assertIn(self.outsider.partner_id, ticket.message_partner_ids)
        self.assertRecordValues(ticket.activity_ids, [{
            'activity_type_id': self.activity_type.id, 'summary': "Call the customer",
            'user_id': self.agent_2.id}])  # the leader of the team the ticket moved to
        mail = self._mails_to(self.customer, "Our second line takes over your ticket.")
        self.assertEqual(mail.subject, f"Your ticket {ticket.ticket_ref} is escalated")
        log = self._logs(ticket)
        self.assertEqual(log.rule_id, rule)
        self.assertEqual(log.sla_status_id, line, "the team has no SLA: the line was dropped (kept out of the "
                                                  "figures, ready to continue if its policy matches again)")
        self.assertFalse(line.active)
        self.assertNotIn(line, ticket.sla_status_ids)
        self.assertEqual(log.sla_id, self.sla_resolution)
        for done in ("Moved to the team Second Line", "Priority raised to High", "Reassigned to Agent Bob",
                     "Moved to the stage Escalated", "Followers added: Agent Out",
                     "Activity “SLA Escalation” scheduled for Agent Bob",
                     "Email “Escalated to the second line” sent", "Marked as escalated"):
            self.assertIn(done, log.action_summary)
        note = ticket.message_ids.filtered(lambda message: "Escalation level 1" in (message.body or ""))
        self.assertEqual(len(note), 1)
        self.assertEqual(note.subtype_id, self.env.ref('mail.mt_note'))
        self.assertIn("Solve in 4 h", note.body)
        self.assertIn("Notified: Agent Out", note.body)
        self.assertFalse(note.notified_partner_ids, "a logged note: the users get a digest instead")
        self.assertEqual(note.author_id, self.env.ref('base.partner_root'), "posted by OdooBot")
        digest = self._digests(self.outsider)
        self.assertEqual((digest.model, digest.res_id), ('helpdesk.team', team_2.id))
        self.assertIn(ticket.ticket_ref, digest.body)

    def test_leader_choices_and_set_priority(self):
        warn = self._rule(name="Warn", level=1, trigger_value=50, sla_ids=[Command.link(self.sla_resolution.id)],
                          activity_type_id=self.activity_type.id)
        alert = self._rule(name="Alert", level=2, trigger_value=100, sla_ids=[Command.link(self.sla_resolution.id)],
                           set_priority='3', user_assign='leader', notify_leader=True, mark_escalated=True)
        ticket = self._new_ticket()  # nobody has it
        self._escalate(datetime(2026, 3, 2, 11, 0))
        self.assertEqual(ticket.activity_ids.user_id, self.manager, "no agent: the team leader gets the activity")
        self._escalate(datetime(2026, 3, 2, 13, 0))
        self.assertRecordValues(ticket, [{'priority': '3', 'user_id': self.manager.id, 'escalation_level': 2}])
        self.assertEqual(len(self._digests(self.manager)), 1, "the team leader is notified")
        self.assertEqual(self._logs(ticket).rule_id, warn | alert)

        urgent = self._new_ticket(priority='3')
        alert.set_priority = '2'
        self._escalate(datetime(2026, 3, 2, 13, 0))
        self.assertEqual(urgent.priority, '3', "setting the priority never lowers it")

    def test_stage_template_sent_on_escalation(self):
        """Moving the ticket to a stage sends the stage's email template, as any stage change does."""
        self.stage_escalated.template_id = self.env['mail.template'].create({
            'name': "Escalated", 'model_id': self.env['ir.model']._get_id('helpdesk.ticket'),
            'subject': "Escalated", 'body_html': "<p>A senior agent handles your ticket now.</p>"})
        self._rule(trigger_value=100, sla_ids=[Command.link(self.sla_resolution.id)], stage_id=self.stage_escalated.id)
        ticket = self._new_ticket()
        with self.mock_mail_gateway():
            self._escalate(datetime(2026, 3, 2, 13, 0))
        self.assertEqual(ticket.stage_id, self.stage_escalated)
        self.assertTrue(self._mails_to(self.customer, "A senior agent handles your ticket now."))

    # ------------------------------------------------------------
    # LEVELS
    # ------------------------------------------------------------

    def test_jump_past_every_level_at_once(self):
        """Nobody ran the cron for a day: each line gets each level once, in level order, and the
        priority is raised once per rule and ticket however many lines pass its trigger."""
        warn, alert, hand_over = self._demo_like_rules()
        alert.respect_working_hours = False  # 17:00 ends the manager's day (see TestEscalationQuietHours)
        ticket = self._new_ticket(user_id=self.agent.id)
        lines = self._line(ticket, self.sla_response) | self._line(ticket, self.sla_resolution)
        self.assertEqual(self._escalate(datetime(2026, 3, 3, 17, 0)), 2)
        logs = self._logs(ticket)
        self.assertEqual([(log.rule_id, log.sla_status_id) for log in logs], [
            (warn, lines[0]), (warn, lines[1]), (alert, lines[0]), (alert, lines[1]),
            (hand_over, lines[0]), (hand_over, lines[1])])
        self.assertRecordValues(ticket, [{
            'priority': '2', 'user_id': self.manager.id, 'stage_id': self.stage_escalated.id,
            'escalation_level': 3, 'is_escalated': True, 'escalation_date': datetime(2026, 3, 3, 17, 0)}])
        notes = ticket.message_ids.filtered(lambda message: "Escalation level" in (message.body or "")).sorted('id')
        self.assertEqual([int(note.body.split("Escalation level ")[1][0]) for note in notes], [1, 1, 2, 2, 3, 3])
        digest = self._digests(self.manager)
        self.assertEqual(len(digest), 1, "one digest for the run, listing both applications of the alert")
        self.assertEqual(digest.body.count(ticket.ticket_ref), 2)
        self.assertFalse(any(lines.mapped('escalation_due_date')))
        self.assertEqual(self._escalate(datetime(2026, 3, 4, 17, 0)), 0)
        self.assertEqual(len(self._logs(ticket)), 6)

    def test_levels_one_run_at_a_time(self):
        """The real cron, run when each threshold passes: response 75 % at 10:30, 100 % at 11:00,
        150 % at 12:00 with the resolution's 75 %."""
        warn, alert, hand_over = self._demo_like_rules()
        ticket = self._new_ticket(user_id=self.agent.id)
        response, resolution = self._line(ticket, self.sla_response), self._line(ticket, self.sla_resolution)
        self.assertEqual(response.escalation_due_date, datetime(2026, 3, 2, 10, 30))
        self.assertEqual(resolution.escalation_due_date, datetime(2026, 3, 2, 12, 0))
        self._run_cron(datetime(2026, 3, 2, 10, 29, 59))
        self.assertFalse(self._logs(ticket))
        self._run_cron(datetime(2026, 3, 2, 10, 30))
        self.assertEqual(self._logs(ticket).rule_id, warn)
        self.assertEqual(response.escalation_due_date, datetime(2026, 3, 2, 11, 0))
        self._run_cron(datetime(2026, 3, 2, 11, 0))
        self.assertRecordValues(ticket, [{'priority': '2', 'escalation_level': 2, 'is_escalated': True}])
        self._run_cron(datetime(2026, 3, 2, 12, 0))
        logs = self._logs(ticket)
        self.assertEqual([(log.rule_id, log.sla_status_id) for log in logs], [
            (warn, response), (alert, response), (warn, resolution), (hand_over, response)])
        self.assertRecordValues(ticket, [{'user_id': self.manager.id, 'stage_id': self.stage_escalated.id,
                                          'escalation_level': 3, 'escalation_date': datetime(2026, 3, 2, 11, 0)}])
        self.assertEqual(resolution.escalation_due_date, datetime(2026, 3, 2, 13, 0))

    # ------------------------------------------------------------
    # CLOCK EVENTS
    # ------------------------------------------------------------

    def test_paused_lines_never_escalate_and_resume_recomputes(self):
        self._rule(trigger_value=75, sla_ids=[Command.link(self.sla_resolution.id)])
        ticket = self._new_ticket()
        line = self._line(ticket, self.sla_resolution)
        self.assertEqual(line.escalation_due_date, datetime(2026, 3, 2, 12, 0))
        with self.travel(datetime(2026, 3, 2, 10, 0)):
            ticket.stage_id = self.stage_waiting
        self.assertFalse(line.escalation_due_date, "a paused clock never escalates")
        self.assertEqual(self._escalate(datetime(2026, 3, 3, 10, 0)), 0)
        with self.travel(datetime(2026, 3, 3, 11, 0)):  # 7 + 2 working hours paused
            ticket.stage_id = self.stage_progress
        self.assertEqual(line.escalation_due_date, datetime(2026, 3, 3, 13, 0), "12:00 + 9 working hours")
        self.assertEqual(self._escalate(datetime(2026, 3, 3, 12, 59, 59)), 0)
        self.assertEqual(self._escalate(datetime(2026, 3, 3, 13, 0)), 1)

    def test_reached_lines_never_escalate(self):
        self._rule(trigger_value=75)
        ticket = self._new_ticket()
        with self.travel(datetime(2026, 3, 2, 9, 30)):
            ticket.message_post(body="On it", message_type='comment', subtype_xmlid='mail.mt_comment',
                                author_id=self.agent.partner_id.id)
        self.assertFalse(self._line(ticket, self.sla_response).escalation_due_date, "responded")
        with self.travel(datetime(2026, 3, 2, 10, 0)):
            ticket.stage_id = self.stage_solved
        self.assertFalse(self._line(ticket, self.sla_resolution).escalation_due_date, "solved")
        self.assertEqual(self._escalate(datetime(2026, 3, 4, 10, 0)), 0)
        self.assertFalse(self._logs(ticket))

    def test_rule_changes_recompute_due_dates(self):
        """Saving a rule only asks for the re-planning; the escalation cron does it before it
        selects the due lines (see TestEscalationReplan for the timing)."""
        ticket = self._new_ticket()
        line = self._line(ticket, self.sla_resolution)
        self.assertFalse(line.escalation_due_date, "no rule")

        def replanned():
            self.env['helpdesk.sla.status']._replan_pending()
            return line.escalation_due_date

        rule = self._rule(trigger_value=50)
        self.assertEqual(replanned(), datetime(2026, 3, 2, 11, 0))
        rule.trigger_value = 125
        self.assertEqual(replanned(), datetime(2026, 3, 2, 14, 0))
        rule.action_archive()
        self.assertFalse(replanned())
        rule.action_unarchive()
        self.assertEqual(replanned(), datetime(2026, 3, 2, 14, 0))
        team_2 = self.env['helpdesk.team'].create({'name': "Elsewhere", 'stage_ids': [Command.set(self.stages.ids)]})
        rule.team_ids = team_2
        self.assertFalse(replanned(), "out of scope")
        rule.write({'team_ids': [Command.clear()], 'min_priority': '2'})
        self.assertFalse(replanned(), "a Medium ticket, the rule starts at High")
        with self.travel(datetime(2026, 3, 2, 9, 30)):
            ticket.priority = '2'
        self.assertEqual(line.escalation_due_date, datetime(2026, 3, 2, 14, 0), "raising the priority brings it in")
        rule.unlink()
        self.assertFalse(replanned())

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    def test_failing_ticket_is_logged_and_skipped(self):
        self._rule(trigger_value=100, sla_ids=[Command.link(self.sla_resolution.id)], raise_priority=True)
        failing, working = self._new_ticket(name="Failing"), self._new_ticket(name="Working")
        failing_line = self._line(failing, self.sla_resolution)
        apply_actions = self.registry['helpdesk.escalation.rule']._apply_actions

        def broken_actions(rule, tickets, *args, **kwargs):
            result = apply_actions(rule, tickets, *args, **kwargs)
            if "Failing" in tickets.mapped('name'):
                raise ValueError("the mail server is on fire")
            return result

        with patch.object(self.registry['helpdesk.escalation.rule'], '_apply_actions', broken_actions), \
                self.assertLogs(ENGINE_LOGGER, logging.ERROR) as captured:
            self._run_cron(datetime(2026, 3, 2, 13, 0))
        self.assertEqual(len(captured.records), 1, "logged once, not retried within the run")
        self.assertIn(f"Escalation of ticket {failing.id} failed", captured.output[0])
        self.assertEqual(working.priority, '2')
        self.assertEqual(len(self._logs(working)), 1)
        self.assertEqual(failing.priority, '1', "nothing of the failed ticket is kept")
        self.assertFalse(self._logs(failing))
        self.assertEqual(failing_line.escalation_due_date, datetime(2026, 3, 2, 13, 0), "retried next run")
        self._run_cron(datetime(2026, 3, 2, 13, 15))
        self.assertEqual(failing.priority, '2')

    def test_cron_batches_and_reports_progress(self):
        self.env['ir.config_parameter'].sudo().set_param('helpdesk_sla.escalation_batch_size', 2)
        self._rule(trigger_value=100, sla_ids=[Command.link(self.sla_resolution.id)], mark_escalated=True)
        tickets = self.env['helpdesk.ticket'].union(*(self._new_ticket(name=f"T{i}") for i in range(5)))
        self._run_cron(datetime(2026, 3, 2, 13, 0))
        self.assertTrue(all(tickets.mapped('is_escalated')))
        progress = self.env['ir.cron.progress'].search([('cron_id', '=', self.cron.id)])
        self.assertEqual(sum(progress.mapped('done')), 5)
        self.assertEqual(progress.mapped('remaining'), [0])

    def test_stale_due_date_heals(self):
        """A line picked as due with nothing due (its date was changed behind the ORM's back) is
        recomputed instead of being picked again forever."""
        self._rule(trigger_value=100, sla_ids=[Command.link(self.sla_resolution.id)])
        ticket = self._new_ticket()
        line = self._line(ticket, self.sla_resolution)
        self.env.flush_all()
        self.env.cr.execute("UPDATE helpdesk_sla_status SET escalation_due_date = %s WHERE id = %s",
                            [datetime(2026, 3, 2, 9, 30), line.id])
        self.env.invalidate_all()
        self.assertEqual(self._escalate(datetime(2026, 3, 2, 10, 0)), 0)
        self.assertEqual(line.escalation_due_date, datetime(2026, 3, 2, 13, 0))
        self.assertFalse(self._logs(ticket))

    def test_unique_log_per_rule_and_line(self):
        rule = self._rule(trigger_value=75)
        ticket = self._new_ticket()
        line = self._line(ticket, self.sla_resolution)
        values = {'ticket_id': ticket.id, 'rule_id': rule.id, 'sla_status_id': line.id}
        self.Log.create(values)
        with self.assertRaises(psycopg2.errors.UniqueViolation), mute_logger('odoo.sql_db'), \
                self.env.cr.savepoint():
            self.Log.create(values)
        manual = self.Log.create([dict(values, sla_status_id=False, manual=True)] * 2)
        self.assertEqual(len(manual), 2, "manual escalations have no SLA line and are not constrained")

    def test_nothing_due_is_one_indexed_query(self):
        self._rule(trigger_value=100)
        self._new_ticket()
        self.env['helpdesk.sla.status']._replan_pending()  # the rule's re-planning is done
        self.env.flush_all()
        with self.travel(datetime(2026, 3, 2, 10, 0)), self.assertQueryCount(5):  # pending re-plans; last line id; savepoint, due rows, release
            self.assertEqual(self.env['helpdesk.sla.status']._escalate_due(datetime(2026, 3, 2, 10, 0), batch_size=100), 0)
        self.env.cr.execute("SET enable_seqscan = off")  # a test table is tiny: show the index can serve
        try:
            self.env.cr.execute(
                """EXPLAIN SELECT id FROM helpdesk_sla_status WHERE escalation_due_date <= %s
                    ORDER BY escalation_due_date LIMIT 100""", [datetime(2026, 3, 2, 10, 0)])
            plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        finally:
            self.env.cr.execute("RESET enable_seqscan")
        self.assertIn('helpdesk_sla_status_escalation_due_idx', plan)

    # ------------------------------------------------------------
    # MANUAL ESCALATION AND VIEWS
    # ------------------------------------------------------------

    def _escalate_by_hand(self, ticket, reason, user=None):
        action = ticket.with_user(user or self.agent).action_escalate()
        form = Form(self.env[action['res_model']].with_user(user or self.agent).with_context(**action['context']))
        form.reason = reason
        wizard = form.save()
        levels = (wizard.next_level, wizard.rule_ids)
        wizard.action_escalate()
        return levels

    def test_manual_escalation(self):
        warn = self._rule(name="Warn", level=1, trigger_value=75, activity_type_id=self.activity_type.id)
        alert = self._rule(name="Alert", level=2, trigger_value=100, set_priority='3', notify_leader=True)
        ticket = self._new_ticket(user_id=self.agent.id)
        with self.travel(datetime(2026, 3, 2, 9, 30)):
            self.assertEqual(self._escalate_by_hand(ticket, "Production line down"), (1, warn))
        log = self._logs(ticket)
        self.assertRecordValues(log, [{
            'rule_id': warn.id, 'sla_status_id': False, 'manual': True, 'reason': "Production line down",
            'user_id': self.agent.id, 'level': 1, 'date': datetime(2026, 3, 2, 9, 30)}])
        self.assertRecordValues(ticket, [{
            'is_escalated': True, 'escalation_level': 1, 'escalation_date': datetime(2026, 3, 2, 9, 30)}])
        self.assertEqual(ticket.activity_ids.user_id, self.agent)
        note = ticket.message_ids[0]
        self.assertEqual(note.author_id, self.agent.partner_id)
        self.assertIn("Escalated by hand to level 1", note.body)
        self.assertIn("Production line down", note.body)

        with self.travel(datetime(2026, 3, 2, 9, 40)):
            self.assertEqual(self._escalate_by_hand(ticket, "Still down"), (2, alert))
        self.assertRecordValues(ticket, [{'escalation_level': 2, 'priority': '3'}])
        self.assertIn(self.manager.partner_id, ticket.message_ids[0].notified_partner_ids)
        with self.travel(datetime(2026, 3, 2, 9, 50)):
            self.assertEqual(self._escalate_by_hand(ticket, "Call the CEO"), (3, self.Rule))
        self.assertEqual(ticket.escalation_level, 3, "no rule above: one level up all the same")
        self.assertEqual(len(self._logs(ticket)), 3)
        self.assertEqual(self._escalate(datetime(2026, 3, 2, 10, 30)), 1, "SLA lines still escalate on their own")

        with self.travel(datetime(2026, 3, 2, 10, 0)):
            ticket.stage_id = self.stage_solved
        with self.assertRaises(UserError):
            self._escalate_by_hand(ticket, "Too late")

    def test_demo_levels(self):
        """The demo: an "Escalated" stage on both teams and three levels per team."""
        billing = self.env.ref('helpdesk_sla.team_billing', raise_if_not_found=False)
        if not billing:
            self.skipTest("database installed without demo data")
        escalated = self.env.ref('helpdesk_sla.stage_escalated')
        for key in ('billing', 'technical'):
            team = self.env.ref(f'helpdesk_sla.team_{key}')
            self.assertIn(escalated, team.stage_ids)
            rules = self.Rule.with_context(active_test=False).search([('team_ids', 'in', team.ids)])
            self.assertEqual([(rule.level, rule.trigger_value) for rule in rules], [(1, 75), (2, 100), (3, 150)])
            warn, alert, hand_over = rules
            self.assertEqual((warn.activity_type_id, warn.activity_user_type), (self.activity_type, 'agent'))
            self.assertTrue(alert.raise_priority and alert.notify_leader)
            self.assertEqual((hand_over.user_assign, hand_over.stage_id), ('leader', escalated))

    def test_escalated_filter_and_menu(self):
        self._rule(trigger_value=100, sla_ids=[Command.link(self.sla_resolution.id)], mark_escalated=True)
        late, on_time = self._new_ticket(), self._new_ticket(when=datetime(2026, 3, 2, 12, 0))
        self._escalate(datetime(2026, 3, 2, 13, 0))
        Ticket = self.env['helpdesk.ticket'].with_user(self.manager)
        action = self.env.ref('helpdesk_sla.helpdesk_ticket_action_escalated')
        self.assertIn("'search_default_escalated': 1", action.context)
        escalated = Ticket.search([('is_escalated', '=', True)])
        self.assertIn(late, escalated)
        self.assertNotIn(on_time, escalated)
        menu = self.env.ref('helpdesk_sla.helpdesk_ticket_menu_escalated')
        self.assertEqual(menu.group_ids, self.env.ref('helpdesk_sla.group_helpdesk_manager'))


@tagged('post_install', '-at_install')
class TestEscalationConcurrency(CommittedEscalationCase):
    """Two cron workers on the same due rows, on real database connections (the data is
    committed, then removed): the second worker skips the rows the first one locked instead of
    waiting for them, and the unique index refuses a second escalation of a line even to a
    worker that works without locks."""

    def _logged_lines(self, env):
        return env['helpdesk.escalation.log'].search([('rule_id', '=', self.data['rule_id'])]).sla_status_id

    def test_second_worker_skips_locked_rows(self):
        when, all_lines = self.when, self.data['line_ids']
        with self._connection() as env_1, self._connection() as env_2, freeze_time(when):
            Status_1 = env_1['helpdesk.sla.status']
            locked = Status_1._lock_due_lines(when, max(all_lines), limit=2)
            self.assertEqual(len(locked), 2)
            # meanwhile the second worker runs: it does not wait, it takes the only row left
            self.assertEqual(env_2['helpdesk.sla.status']._escalate_due(when, commit=True), 1)
            with self.registry.cursor() as cr:
                self.assertEqual(self._logged_lines(api.Environment(cr, SUPERUSER_ID, {})).ids,
                                 sorted(set(all_lines) - set(locked.ids)))
            # the first worker escalates what it locked
            done, failed = Status_1._escalate_lines(locked, when)
            self.assertEqual((done, failed), (locked, locked.browse()))
            env_1.cr.commit()  # pylint: disable=invalid-commit
            self.assertEqual(env_2['helpdesk.sla.status']._escalate_due(when, commit=True), 0,
                             "nothing is due any more")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.assertEqual(sorted(self._logged_lines(env).ids), sorted(all_lines), "each line escalated once")
            self.assertEqual(env['helpdesk.ticket'].browse(self.data['ticket_ids']).mapped('priority'), ['1'] * 3)

    def test_unique_index_is_the_last_guard(self):
        """Worker 2 read the rows as due before worker 1 escalated them, then applies the rules
        without locking: its logs are refused, so nothing is applied twice."""
        when, all_lines = self.when, self.data['line_ids']
        with self._connection() as env_1, self._connection() as env_2, freeze_time(when):
            lines_2 = env_2['helpdesk.sla.status'].browse(all_lines)
            self.assertEqual(len(lines_2.filtered('escalation_due_date')), 3, "worker 2 sees them due")
            done, _failed = env_1['helpdesk.sla.status']._escalate_lines(
                env_1['helpdesk.sla.status'].browse(all_lines), when)
            self.assertEqual(len(done), 3)
            env_1.cr.commit()  # pylint: disable=invalid-commit
            with self.assertLogs(ENGINE_LOGGER, logging.INFO) as captured, mute_logger('odoo.sql_db'):
                done, failed = env_2['helpdesk.sla.status']._escalate_lines(lines_2, when)
            self.assertFalse(done | failed, "refused, and not a failure")
            self.assertEqual(len(captured.records), 3)
            self.assertIn("already escalated by another worker", captured.output[0])
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.assertEqual(sorted(self._logged_lines(env).ids), sorted(all_lines), "one log per line")
            self.assertEqual(env['helpdesk.ticket'].browse(self.data['ticket_ids']).mapped('priority'), ['1'] * 3,
                             "raised once")
