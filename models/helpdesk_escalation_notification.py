from collections import defaultdict
from datetime import timedelta

import pytz
from markupsafe import Markup

from odoo import api, fields, models

LOOK_AHEAD_DAYS = 31  # a user with no working time within this is notified at once: nothing is lost


class HelpdeskEscalationNotification(models.Model):
    """An escalation notification held for a user outside their working hours (quiet hours,
    ``helpdesk.escalation.rule.respect_working_hours``): delivered at the start of the user's
    next working period, in one digest per user with everything held for them, saying what
    changed since (a ticket closed or moved, a rule archived or no longer notifying them)."""

    _name = 'helpdesk.escalation.notification'
    _description = "Held Escalation Notification"
    _order = 'scheduled_date, id'
    _rec_name = 'ticket_id'

    user_id = fields.Many2one('res.users', string="For", required=True, index=True, ondelete='cascade')
    ticket_id = fields.Many2one('helpdesk.ticket', string="Ticket", required=True, index=True, ondelete='cascade')
    log_id = fields.Many2one('helpdesk.escalation.log', string="Escalation", ondelete='cascade')
    rule_id = fields.Many2one('helpdesk.escalation.rule', string="Rule", ondelete='set null')
    team_id = fields.Many2one('helpdesk.team', string="Team", ondelete='set null')
    level = fields.Integer()
    escalation_date = fields.Datetime(string="Escalated On", required=True)
    scheduled_date = fields.Datetime(
        string="Delivery", required=True, help="The start of the user's next working period.")
    state = fields.Selection([('pending', "Waiting"), ('sent', "Delivered")], default='pending', required=True)
    sent_date = fields.Datetime(string="Delivered On", readonly=True)
    change_note = fields.Char(string="Changed Since", readonly=True)

    _pending_idx = models.Index('(scheduled_date) WHERE state = \'pending\'')

    # ------------------------------------------------------------
    # WORKING HOURS
    # ------------------------------------------------------------

    @api.model
    def _next_working_moment(self, user, team, now):
        """When ``user`` can be reached from ``now`` (naive UTC): ``now`` within their working
        hours, else the start of their next working period. Their working hours are their own
        calendar (``resource_calendar_id``), else the team's, else the company's, in that
        calendar's time zone, without their time off and public holidays."""
        resource = user.sudo().resource_ids.filtered(lambda res: res.company_id in (False, user.company_id))[:1]
        calendar = resource.calendar_id or team.resource_calendar_id or user.company_id.resource_calendar_id
        if not calendar:
            return now
        start = pytz.utc.localize(now)
        intervals = calendar.sudo()._work_intervals_batch(
            start, start + timedelta(days=LOOK_AHEAD_DAYS), resources=resource or None)[resource.id]
        for begin, end, _record in intervals:
            if end > start:
                return max(begin, start).astimezone(pytz.utc).replace(tzinfo=None)
        return now

    # ------------------------------------------------------------
    # HOLDING AND DELIVERING
    # ------------------------------------------------------------

    @api.model
    def _hold_outside_working_hours(self, digests, now):
        """Split the digests of an escalation batch ({(team, user): [log]}): the logs of rules
        respecting working hours for users outside theirs are held (one record each, the
        delivery cron triggered at the start of the user's next working period); returns the
        digests to send now."""
        send_now = defaultdict(list)
        held, triggers = [], set()
        moments = {}
        for (team, user), logs in digests.items():
            for log in logs:
                if log.rule_id.respect_working_hours:
                    if (team, user) not in moments:
                        moments[team, user] = self._next_working_moment(user, team, now)
                    moment = moments[team, user]
                    if moment > now:
                        held.append({
                            'user_id': user.id, 'ticket_id': log.ticket_id.id, 'log_id': log.id,
                            'rule_id': log.rule_id.id, 'team_id': team.id, 'level': log.level,
                            'escalation_date': log.date, 'scheduled_date': moment,
                        })
                        triggers.add(moment)
                        continue
                send_now[team, user].append(log)
        if held:
            self.sudo().create(held)
            self.env.ref('helpdesk_sla.ir_cron_helpdesk_escalation_notification').sudo()._trigger(sorted(triggers))
        return send_now

    @api.model
    def _cron_deliver(self):
        self._deliver_due(fields.Datetime.now())

    @api.model
    def _deliver_due(self, now):
        """Deliver the held notifications due at ``now``: one digest per user with all of theirs,
        each once (marked delivered). A user still outside working hours (time off added since)
        waits again for their next working period."""
        due = self.sudo().search([('state', '=', 'pending'), ('scheduled_date', '<=', now)])
        for user, notifications in due.grouped('user_id').items():
            moment = self._next_working_moment(user, notifications[0].team_id, now)
            if moment > now:
                notifications.scheduled_date = moment
                self.env.ref('helpdesk_sla.ir_cron_helpdesk_escalation_notification').sudo()._trigger(moment)
                continue
            notifications._send_digest(user, now)
        return due.filtered(lambda notification: notification.state == 'sent')

    def _what_changed(self):
        """Why the held escalation of ``self`` may no longer need its user (False: it still does)."""
        self.ensure_one()
        ticket, rule = self.ticket_id, self.rule_id
        if not ticket.active:
            return self.env._("ticket archived")
        if ticket.is_closed:
            return self.env._("closed since (%s)", ticket.stage_id.name)
        if not rule or not rule.active:
            return self.env._("escalation rule archived")
        if self.user_id not in rule._get_notified_users(ticket):
            return self.env._("the rule no longer notifies you")
        if self.team_id and ticket.team_id != self.team_id:
            return self.env._("moved to the team %s", ticket.team_id.name)
        return False

    def _send_digest(self, user, now):
        """One message to ``user`` listing the held escalations ``self``: what still applies,
        then what changed since the escalation."""
        still, changed = [], []
        for notification in self:
            note = notification._what_changed()
            notification.change_note = note
            line = Markup("<li>%s: %s (%s, %s)%s</li>") % (
                notification.ticket_id._get_html_link(), notification.rule_id.name or "",
                self.env._("level %s", notification.level),
                fields.Datetime.to_string(notification.escalation_date),
                Markup(" - <i>%s</i>") % note if note else "")
            (changed if note else still).append(line)
        body = Markup()
        if still:
            body += Markup("<p>%s</p><ul>%s</ul>") % (
                self.env._("Tickets escalated for your attention outside your working hours:"), Markup().join(still))
        if changed:
            body += Markup("<p>%s</p><ul>%s</ul>") % (
                self.env._("Escalated meanwhile, changed since:"), Markup().join(changed))
        subject = self.env._("%(count)s escalated ticket(s) held for you", count=len(still))
        thread = (self.team_id[:1] or self.ticket_id[:1]).sudo().with_context(mail_notify_force_send=False)
        thread.message_notify(partner_ids=user.partner_id.ids, subject=subject, body=body)
        self.write({'state': 'sent', 'sent_date': now})
