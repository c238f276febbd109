from datetime import datetime, timedelta

from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import Form, tagged

from .common import HelpdeskCommon


class SlaCommon(HelpdeskCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sla_response = cls.env['helpdesk.sla'].create({
            'name': "High: respond in 2 h", 'team_id': cls.team.id, 'priority': '2',
            'target_type': 'first_response', 'time': 2.0,
            'exclude_stage_ids': [Command.link(cls.stage_waiting.id)],
        })
        cls.sla_resolution = cls.env['helpdesk.sla'].create({
            'name': "High: solve in 4 h", 'team_id': cls.team.id, 'priority': '2',
            'target_type': 'resolution', 'stage_id': cls.stage_solved.id, 'time': 4.0,
            'exclude_stage_ids': [Command.link(cls.stage_waiting.id)],
        })

    def _line(self, ticket, sla):
        return ticket.sla_status_ids.filtered(lambda line: line.sla_id == sla)


@tagged('post_install', '-at_install')
class TestSlaClock(SlaCommon):

    def test_seed_examples(self):
        """The published examples: Mon–Fri 09:00–17:00 business hours."""
        # Friday 2026-03-06 16:30 + 2 h -> Monday 10:30
        with self.travel(datetime(2026, 3, 6, 16, 30)):
            ticket = self._create_ticket(priority='2')
        self.assertEqual(self._line(ticket, self.sla_response).deadline, datetime(2026, 3, 9, 10, 30))
        # 16:00 + 4 h -> next working day 12:00
        with self.travel(datetime(2026, 3, 4, 16, 0)):
            ticket = self._create_ticket(priority='2')
        self.assertEqual(self._line(ticket, self.sla_resolution).deadline, datetime(2026, 3, 5, 12, 0))
        # Friday 17:01 + 4 h -> Monday 13:00, not Friday 21:01
        with self.travel(datetime(2026, 3, 6, 17, 1)):
            ticket = self._create_ticket(priority='2')
        self.assertEqual(self._line(ticket, self.sla_resolution).deadline, datetime(2026, 3, 9, 13, 0))
        self.assertEqual(ticket.sla_deadline, datetime(2026, 3, 9, 11, 0), "earliest running deadline")

    def test_matches_plan_hours(self):
        """Deadlines equal resource.calendar.plan_hours(compute_leaves=True), leaves included."""
        self.env['resource.calendar.leaves'].create({
            'name': "Public holiday", 'calendar_id': self.calendar.id,
            'date_from': datetime(2026, 4, 6, 0, 0), 'date_to': datetime(2026, 4, 6, 23, 59, 59)})
        starts = [datetime(2026, 4, 3, 8, 0) + timedelta(hours=7 * i, minutes=13 * i) for i in range(12)]
        for start in starts:
            with self.travel(start):
                ticket = self._create_ticket(priority='2')
            for sla in (self.sla_response, self.sla_resolution):
                expected = self.calendar.plan_hours(sla.time, start, compute_leaves=True)
                self.assertEqual(self._line(ticket, sla).deadline, expected, f"{sla.name} from {start}")

    def test_always_on_policy(self):
        urgent = self.env['helpdesk.sla'].create({
            'name': "Urgent 24/7", 'team_id': self.team.id, 'priority': '3', 'target_type': 'first_response',
            'time': 0.5, 'time_basis': 'always'})
        with self.travel(datetime(2026, 3, 7, 23, 50)):  # a Saturday night
            ticket = self._create_ticket(priority='3')
        self.assertEqual(self._line(ticket, urgent).deadline, datetime(2026, 3, 8, 0, 20))

    def test_status_moves_with_time(self):
        with self.travel(datetime(2026, 3, 2, 9, 0)):
            ticket = self._create_ticket(priority='2')
            ticket.message_post(body="On it", message_type='comment', subtype_xmlid='mail.mt_comment',
                                author_id=self.agent.partner_id.id)
        line = self._line(ticket, self.sla_resolution)
        self.assertEqual(line.warning_date, datetime(2026, 3, 2, 12, 12), "80 % of 4 h")
        Status = self.env['helpdesk.sla.status']
        with self.travel(datetime(2026, 3, 2, 12, 30)):
            self.env.invalidate_all()  # a new request: time-driven fields are computed afresh
            self.assertTrue(ticket.sla_at_risk)
            self.assertIn(ticket, self.env['helpdesk.ticket'].search([('sla_at_risk', '=', True)]))
            Status._cron_refresh_status()
            self.assertEqual(line.status, 'warning')
            self.assertFalse(ticket.sla_fail)
        with self.travel(datetime(2026, 3, 2, 13, 0, 1)):
            self.env.invalidate_all()
            self.assertTrue(ticket.sla_fail)
            self.assertIn(ticket, self.env['helpdesk.ticket'].search([('sla_fail', '=', True)]))
            Status._cron_refresh_status()
            self.assertEqual(line.status, 'failed')
            self.assertEqual(ticket.sla_status, 'failed')
        with self.travel(datetime(2026, 3, 2, 15, 0)):
            ticket.stage_id = self.stage_solved
        self.assertEqual(line.status, 'reached')
        self.assertEqual(line.reached_datetime, datetime(2026, 3, 2, 15, 0))
        self.assertAlmostEqual(line.exceeded_hours, 2.0, places=4)
        self.assertTrue(ticket.sla_reached_late)
        self.assertFalse(ticket.sla_success)
        self.assertNotIn(ticket, self.env['helpdesk.ticket'].search([('sla_fail', '=', True)]))

    def test_reached_on_time(self):
        with self.travel(datetime(2026, 3, 2, 9, 0)):
            ticket = self._create_ticket(priority='2')
        with self.travel(datetime(2026, 3, 2, 10, 0)):
            ticket.message_post(body="We are on it", message_type='comment',
                                subtype_xmlid='mail.mt_comment', author_id=self.agent.partner_id.id)
        response = self._line(ticket, self.sla_response)
        self.assertEqual(response.reached_datetime, datetime(2026, 3, 2, 10, 0), "an agent's public reply")
        self.assertEqual(ticket.date_first_response, datetime(2026, 3, 2, 10, 0))
        with self.travel(datetime(2026, 3, 2, 12, 0)):
            ticket.stage_id = self.stage_solved
        self.assertTrue(ticket.sla_success)
        self.assertFalse(ticket.sla_reached_late)
        self.assertEqual(self._line(ticket, self.sla_resolution).exceeded_hours, 0.0)

    def test_internal_note_does_not_respond(self):
        with self.travel(datetime(2026, 3, 2, 9, 0)):
            ticket = self._create_ticket(priority='2')
            ticket.message_post(body="Looks like the VPN", message_type='comment',
                                subtype_xmlid='mail.mt_note', author_id=self.agent.partner_id.id)
            ticket.message_post(body="Any news?", message_type='comment',
                                subtype_xmlid='mail.mt_comment', author_id=self.customer.id)
        self.assertFalse(self._line(ticket, self.sla_response).reached_datetime)
        self.assertFalse(ticket.date_first_response)

    def test_first_response_by_stage(self):
        self.sla_response.stage_id = self.stage_progress
        with self.travel(datetime(2026, 3, 2, 9, 0)):
            ticket = self._create_ticket(priority='2')
        with self.travel(datetime(2026, 3, 2, 9, 45)):
            ticket.stage_id = self.stage_progress
        self.assertEqual(self._line(ticket, self.sla_response).reached_datetime, datetime(2026, 3, 2, 9, 45))
        self.assertFalse(self._line(ticket, self.sla_resolution).reached_datetime)

    def test_pause_in_excluded_stage(self):
        """Waiting on the customer stops the clock; the deadline moves by the working time paused."""
        with self.travel(datetime(2026, 3, 2, 9, 0)):  # Monday
            ticket = self._create_ticket(priority='2')
        line = self._line(ticket, self.sla_resolution)
        self.assertEqual(line.deadline, datetime(2026, 3, 2, 13, 0))
        with self.travel(datetime(2026, 3, 2, 10, 0)):
            ticket.stage_id = self.stage_waiting
        self.assertTrue(line.is_paused)
        self.assertTrue(ticket.sla_paused)
        self.assertFalse(ticket.sla_deadline, "paused lines have no running deadline")
        with self.travel(datetime(2026, 3, 3, 11, 0)):  # Tuesday: 7 h + 2 h of working time paused
            self.assertFalse(ticket.sla_fail, "a paused clock does not fail")
            self.assertIn(ticket, self.env['helpdesk.ticket'].search([('sla_paused', '=', True)]))
            ticket.stage_id = self.stage_progress
        self.assertFalse(line.is_paused)
        self.assertEqual(line.paused_seconds, 9 * 3600)
        self.assertEqual(line.deadline, datetime(2026, 3, 3, 14, 0), "3 h were left when paused")
        with self.travel(datetime(2026, 3, 3, 12, 0)):
            self.assertAlmostEqual(line.consumed_hours, 2.0, places=4)
            self.assertAlmostEqual(line.remaining_hours, 2.0, places=4)

    def test_failed_while_paused(self):
        """A clock paused after its deadline stays failed; one paused in time does not fail while
        paused. Reading and searching agree, both ways."""
        Ticket = self.env['helpdesk.ticket']
        with self.travel(datetime(2026, 3, 2, 9, 0)):  # Monday; response due 11:00, resolution 13:00
            late, in_time = Ticket.create([{'name': name, 'team_id': self.team.id, 'priority': '2'}
                                           for name in ("Paused late", "Paused in time")])
            no_sla = self._create_ticket(priority='0')
        with self.travel(datetime(2026, 3, 2, 10, 0)):
            in_time.stage_id = self.stage_waiting
        with self.travel(datetime(2026, 3, 2, 14, 0)):
            late.stage_id = self.stage_waiting
        self.assertEqual(late.sla_fail_date, datetime(2026, 3, 2, 11, 0), "its first deadline, passed before the pause")
        self.assertFalse(in_time.sla_fail_date)
        with self.travel(datetime(2026, 3, 3, 11, 0)):
            self.env.invalidate_all()
            tickets = late | in_time | no_sla
            self.assertEqual(tickets.mapped('sla_fail'), [True, False, False])
            self.assertEqual(Ticket.search([('sla_fail', '=', True), ('id', 'in', tickets.ids)]), late)
            self.assertEqual(Ticket.search([('sla_fail', '=', False), ('id', 'in', tickets.ids)]), in_time | no_sla)
            self.assertEqual(Ticket.search([('sla_fail', '!=', True), ('id', 'in', tickets.ids)]), in_time | no_sla)
        with self.travel(datetime(2026, 3, 3, 12, 0)):
            in_time.stage_id = self.stage_progress  # resumed: 1 h of response time was left
        self.assertEqual(in_time.sla_fail_date, datetime(2026, 3, 3, 13, 0))
        with self.travel(datetime(2026, 3, 3, 13, 0, 1)):
            self.env.invalidate_all()
            self.assertTrue(in_time.sla_fail)
            self.assertIn(in_time, Ticket.search([('sla_fail', '=', True)]))

    def test_pause_sequences(self):
        """Any sequence of moves in and out of excluded stages: deadline = start + target + paused."""
        other_waiting = self.env['helpdesk.stage'].create({'name': "Waiting on Vendor", 'sequence': 4})
        self.team.stage_ids = [Command.link(other_waiting.id)]
        self.sla_resolution.exclude_stage_ids = [Command.link(other_waiting.id)]
        start = datetime(2026, 3, 2, 9, 0)
        with self.travel(start):
            ticket = self._create_ticket(priority='2')
        line = self._line(ticket, self.sla_resolution)
        moves = [
            (datetime(2026, 3, 2, 9, 30), self.stage_waiting),
            (datetime(2026, 3, 2, 10, 0), other_waiting),      # excluded -> excluded: still paused
            (datetime(2026, 3, 2, 11, 0), self.stage_progress),
            (datetime(2026, 3, 2, 18, 0), self.stage_waiting),  # paused outside working hours
            (datetime(2026, 3, 3, 9, 15), self.stage_new),
            (datetime(2026, 3, 3, 9, 20), self.stage_progress),
        ]
        for when, stage in moves:
            with self.travel(when):
                ticket.stage_id = stage
        paused = self.calendar.get_work_hours_count(datetime(2026, 3, 2, 9, 30), datetime(2026, 3, 2, 11, 0)) \
            + self.calendar.get_work_hours_count(datetime(2026, 3, 2, 18, 0), datetime(2026, 3, 3, 9, 15))
        self.assertAlmostEqual(line.paused_seconds / 3600, paused, places=6)
        self.assertEqual(line.deadline, self.calendar.plan_hours(4.0 + paused, start, compute_leaves=True))
        with self.travel(datetime(2026, 3, 3, 10, 0)):
            self.assertAlmostEqual(line.consumed_hours + line.remaining_hours, 4.0, places=6)

    def test_created_in_excluded_stage_then_reached_from_pause(self):
        with self.travel(datetime(2026, 3, 2, 9, 0)):
            ticket = self._create_ticket(priority='2', stage_id=self.stage_waiting.id)
        line = self._line(ticket, self.sla_resolution)
        self.assertTrue(line.is_paused)
        with self.travel(datetime(2026, 3, 2, 16, 0)):
            ticket.stage_id = self.stage_solved
        self.assertEqual(line.status, 'reached')
        self.assertEqual(line.paused_seconds, 7 * 3600, "the time paused up to the move counts as paused")
        self.assertEqual(line.exceeded_hours, 0.0)

    def test_next_response_windows(self):
        next_sla = self.env['helpdesk.sla'].create({
            'name': "Reply within 1 h", 'team_id': self.team.id, 'target_type': 'next_response', 'time': 1.0})
        with self.travel(datetime(2026, 3, 2, 9, 0)):
            ticket = self._create_ticket(priority='2')
            ticket.message_post(body="More details", message_type='comment',
                                subtype_xmlid='mail.mt_comment', author_id=self.customer.id)
        self.assertFalse(self._line(ticket, next_sla), "no window before the first agent reply")
        with self.travel(datetime(2026, 3, 2, 9, 30)):
            ticket.message_post(body="Hello", message_type='comment', subtype_xmlid='mail.mt_comment',
                                author_id=self.agent.partner_id.id)
        with self.travel(datetime(2026, 3, 2, 10, 0)):
            ticket.message_post(body="Still broken", message_type='comment', subtype_xmlid='mail.mt_comment',
                                author_id=self.customer.id)
        with self.travel(datetime(2026, 3, 2, 10, 20)):
            ticket.message_post(body="And now?", message_type='comment', subtype_xmlid='mail.mt_comment',
                                author_id=self.customer.id)
        windows = self._line(ticket, next_sla)
        self.assertEqual(len(windows), 1, "one window at a time")
        self.assertEqual(windows.deadline, datetime(2026, 3, 2, 11, 0))
        with self.travel(datetime(2026, 3, 2, 11, 30)):
            ticket.message_post(body="Fixed", message_type='comment', subtype_xmlid='mail.mt_comment',
                                author_id=self.agent.partner_id.id)
        with self.travel(datetime(2026, 3, 2, 14, 0)):
            ticket.message_post(body="Thanks, one more thing", message_type='comment',
                                subtype_xmlid='mail.mt_comment', author_id=self.customer.id)
        windows = self._line(ticket, next_sla).sorted('start_date')
        self.assertEqual(len(windows), 2, "the history of windows is kept")
        self.assertEqual(windows[0].reached_datetime, datetime(2026, 3, 2, 11, 30))
        self.assertAlmostEqual(windows[0].exceeded_hours, 0.5, places=4)
        self.assertEqual(windows[1].start_date, datetime(2026, 3, 2, 14, 0))
        self.assertEqual(windows[1].deadline, datetime(2026, 3, 2, 15, 0))

    def test_rematch_on_priority_change(self):
        low = self.env['helpdesk.sla'].create({
            'name': "Low: solve in 8 h", 'team_id': self.team.id, 'priority': '0',
            'target_type': 'resolution', 'stage_id': self.stage_solved.id, 'time': 8.0})
        with self.travel(datetime(2026, 3, 2, 9, 0)):
            ticket = self._create_ticket(priority='0')
        self.assertEqual(ticket.sla_status_ids.sla_id, low)
        with self.travel(datetime(2026, 3, 2, 10, 0)):
            ticket.message_post(body="Hi", message_type='comment', subtype_xmlid='mail.mt_comment',
                                author_id=self.agent.partner_id.id)
        with self.travel(datetime(2026, 3, 2, 11, 0)):
            ticket.priority = '2'
        self.assertEqual(ticket.sla_status_ids.sla_id, self.sla_response | self.sla_resolution,
                         "the unreached low-priority clock is dropped")
        resolution = self._line(ticket, self.sla_resolution)
        self.assertEqual(resolution.start_date, datetime(2026, 3, 2, 9, 0), "counted from the ticket's creation")
        self.assertEqual(resolution.deadline, datetime(2026, 3, 2, 13, 0))
        self.assertEqual(self._line(ticket, self.sla_response).reached_datetime, datetime(2026, 3, 2, 10, 0),
                         "the agent already replied")
        with self.travel(datetime(2026, 3, 2, 11, 30)):
            ticket.stage_id = self.stage_solved
            ticket.priority = '0'
        self.assertIn(self.sla_resolution, ticket.sla_status_ids.sla_id, "reached lines stay as history")

    def test_matching_criteria(self):
        vip = self.env['res.partner.category'].create({'name': "VIP"})
        bug = self.env['helpdesk.ticket.type'].create({'name': "Bug"})
        tag = self.env['helpdesk.tag'].create({'name': "outage"})
        company = self.env['res.partner'].create({'name': "Big Corp", 'is_company': True,
                                                  'category_id': [Command.link(vip.id)]})
        employee = self.env['res.partner'].create({'name': "Eve", 'parent_id': company.id})
        vip_sla = self.env['helpdesk.sla'].create({
            'name': "VIP bugs", 'team_id': self.team.id, 'target_type': 'resolution',
            'stage_id': self.stage_solved.id, 'time': 1.0, 'partner_category_ids': [Command.link(vip.id)],
            'ticket_type_ids': [Command.link(bug.id)], 'tag_ids': [Command.link(tag.id)],
            'domain': "[('name', 'ilike', 'prod')]"})
        matching = {'name': "prod down", 'team_id': self.team.id, 'partner_id': employee.id,
                    'ticket_type_id': bug.id, 'tag_ids': [Command.link(tag.id)]}
        misses = [{'name': "test env down"}, {'partner_id': self.customer.id}, {'ticket_type_id': False},
                  {'tag_ids': False}]
        # one batch: each ticket is matched on its own values
        ticket, *others = self.env['helpdesk.ticket'].create([matching] + [dict(matching, **miss) for miss in misses])
        self.assertIn(vip_sla, ticket.sla_status_ids.sla_id, "the company's tier applies to its contacts")
        for miss, other in zip(misses, others, strict=True):
            self.assertNotIn(vip_sla, other.sla_status_ids.sla_id, f"not matched with {miss}")

    def test_customer_criterion(self):
        company = self.env['res.partner'].create({'name': "Big Corp", 'is_company': True})
        employee, outsider = self.env['res.partner'].create([{'name': "Eve", 'parent_id': company.id},
                                                              {'name': "Mallory"}])
        key_account = self.env['helpdesk.sla'].create({
            'name': "Key account", 'team_id': self.team.id, 'target_type': 'resolution',
            'stage_id': self.stage_solved.id, 'time': 1.0, 'partner_ids': [Command.link(company.id)]})
        tickets = self.env['helpdesk.ticket'].create([
            {'name': name, 'team_id': self.team.id, 'partner_id': partner.id}
            for name, partner in (("By the company", company), ("By its contact", employee),
                                  ("By someone else", outsider))])
        self.assertEqual([key_account in ticket.sla_status_ids.sla_id for ticket in tickets], [True, True, False],
                         "a company's policy covers its contacts, nobody else")

    def test_closing_ends_every_clock(self):
        with self.travel(datetime(2026, 3, 2, 9, 0)):
            ticket = self._create_ticket(priority='2')
        with self.travel(datetime(2026, 3, 2, 12, 0)):  # solved by phone, no written reply: 1 h late
            ticket.stage_id = self.stage_cancelled
        response = self._line(ticket, self.sla_response)
        self.assertEqual(response.reached_datetime, datetime(2026, 3, 2, 12, 0))
        self.assertAlmostEqual(response.exceeded_hours, 1.0, places=4)
        self.assertEqual(self._line(ticket, self.sla_resolution).status, 'reached')
        with self.travel(datetime(2026, 3, 9, 9, 0)):
            self.assertNotIn(ticket, self.env['helpdesk.ticket'].search([('sla_fail', '=', True)]))

    def test_team_without_sla(self):
        self.team.use_sla = False
        ticket = self._create_ticket(priority='2')
        self.assertFalse(ticket.sla_status_ids)
        self.assertFalse(ticket.sla_deadline)

    def test_policy_matching_nothing_is_harmless(self):
        self.env['helpdesk.sla'].create({
            'name': "Nothing", 'team_id': self.team.id, 'target_type': 'resolution',
            'stage_id': self.stage_solved.id, 'time': 1.0, 'domain': "[('id', '=', 0)]"})
        ticket = self._create_ticket(priority='2')
        self.assertEqual(len(ticket.sla_status_ids), 2)

    def test_calendar_without_working_time(self):
        empty = self.env['resource.calendar'].create({'name': "Nobody works", 'attendance_ids': [Command.clear()]})
        with self.assertRaisesRegex(ValidationError, "no working time"):
            self.team.resource_calendar_id = empty
        other_team = self.env['helpdesk.team'].create({'name': "Night", 'resource_calendar_id': empty.id})
        with self.assertRaisesRegex(ValidationError, "no working time"):
            self.env['helpdesk.sla'].create({'name': "x", 'team_id': other_team.id, 'target_type': 'resolution',
                                             'stage_id': self.stage_solved.id, 'time': 1.0})
        sla = self.env['helpdesk.sla'].create({'name': "x", 'team_id': other_team.id, 'time_basis': 'always',
                                               'target_type': 'resolution', 'stage_id': self.stage_solved.id,
                                               'time': 1.0})
        self.assertTrue(sla, "24/7 policies need no calendar")

    def test_invalid_policy_values(self):
        with self.assertRaises(ValidationError):
            self.env['helpdesk.sla'].create({'name': "bad", 'team_id': self.team.id, 'target_type': 'resolution',
                                             'time': 1.0})
        with self.assertRaisesRegex(ValidationError, "not a valid filter"):
            self.env['helpdesk.sla'].create({'name': "bad", 'team_id': self.team.id, 'target_type': 'resolution',
                                             'stage_id': self.stage_solved.id, 'time': 1.0,
                                             'domain': "[('no_such_field', '=', 1)]"})

    def test_policy_form(self):
        form = Form(self.env['helpdesk.sla'].with_user(self.manager))
        form.name = "Medium: solve in a day"
        form.team_id = self.team
        form.target_type = 'resolution'
        form.stage_id = self.stage_solved
        form.time = 8.5
        sla = form.save()
        self.assertEqual(sla.warning_pct, 80.0)
        self.assertEqual(sla.time_basis, 'calendar')

    def test_failed_count_is_one_query(self):
        with self.travel(datetime(2026, 3, 2, 9, 0)):
            tickets = self.env['helpdesk.ticket'].create([
                {'name': f"T{i}", 'team_id': self.team.id, 'priority': '2'} for i in range(5)])
            tickets[0].stage_id = self.stage_solved  # closing ends both clocks, on time
        with self.travel(datetime(2026, 3, 3, 9, 0)):
            self.env.invalidate_all()
            with self.assertQueryCount(1):
                count = self.env['helpdesk.ticket'].search_count([('sla_fail', '=', True)])
        self.assertEqual(count, 4)
