import logging
from collections import defaultdict

import psycopg2.errors
from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.tools import SQL

from .helpdesk_escalation_rule import CLOCK_CACHE_KEY
from .helpdesk_sla_status import SlaClock
from .helpdesk_ticket_escalation import ESCALATION_UNTRACKED_FIELDS
from .helpdesk_ticket_sla import REMATCH_LATER_KEY

_logger = logging.getLogger(__name__)

# tickets per batch (each with all its due lines): a batch is one transaction holding its
# tickets' locks, so it stays short for the agents who may be saving one of them
DEFAULT_BATCH_SIZE = 50
# Automatic escalations render no email per ticket: their notes are logged, the users to notify
# get one digest per team and batch, the assignee an activity without assignment email.
AUTOMATION_CONTEXT = {
    'mail_auto_subscribe_no_notify': True,
    'mail_activity_quick_update': True,
    'mail_notify_force_send': False,
    # stated in the escalation note: no second (tracking) message per ticket
    'helpdesk_sla_untracked_fields': ESCALATION_UNTRACKED_FIELDS,
}


class HelpdeskSlaStatus(models.Model):
    """The escalation engine, beside the SLA lines it works on: the cron picks the lines
    whose next escalation is due (indexed), locks them, applies the rules due (each rule's
    actions are defined on ``helpdesk.escalation.rule``), logs and commits batch by batch."""

    _inherit = 'helpdesk.sla.status'

    # ------------------------------------------------------------
    # AUTOMATIC ESCALATION (CRON)
    # ------------------------------------------------------------

    @api.model
    def _cron_escalate(self):
        """Apply the escalations due now, committing and reporting progress batch by batch."""
        self._escalate_due(fields.Datetime.now(), commit=True)

    @api.model
    def _escalate_due(self, now, batch_size=None, commit=False):
        """Apply every escalation due at ``now``, batch by batch: each batch is picked from the
        partial index on ``escalation_due_date``, its SLA lines and their tickets locked (rows
        locked by another worker are skipped), then escalated (see ``_escalate_lines``). With
        ``commit`` (the cron) each batch is committed and reported to the ``ir.cron`` progress
        API. SLA lines created during the run (re-matched by an action) wait for the next run.

        Returns the number of SLA lines escalated."""
        batch_size = batch_size or int(self.env['ir.config_parameter'].sudo().get_param(
            'helpdesk_sla.escalation_batch_size', DEFAULT_BATCH_SIZE))
        self._replan_pending(commit=commit)
        self.sudo().flush_model()
        last_id = self.env.execute_query(SQL("SELECT COALESCE(MAX(id), 0) FROM helpdesk_sla_status"))[0][0]
        skipped = []  # lines that failed or had nothing due: not retried in this run
        total = 0
        while True:
            lines = self._lock_due_lines(now, last_id, batch_size, skipped)
            if not lines:
                if commit:  # all done for this run (what failed waits for the next one)
                    self.env['ir.cron']._commit_progress(remaining=0)
                break
            done, _failed = self._escalate_lines(lines, now)
            skipped += (lines - done).ids
            total += len(done)
            if not commit:
                continue
            remaining = max(self._count_due_lines(now, last_id) - len(skipped), 0) if len(lines.ticket_id) == batch_size else 0
            if not self.env['ir.cron']._commit_progress(len(done), remaining=remaining):
                break  # out of time: the cron runs again as soon as possible
        return total

    @api.model
    def _replan_pending(self, commit=False):
        """Re-plan the next escalation dates the rule changes asked for, before the due lines
        are selected: a line a new or changed rule made due is found. The requests are removed
        once their re-planning is done (with ``commit``, the cron commits chunk by chunk: a run
        cut short leaves the requests for the next one)."""
        requests = self.env['helpdesk.escalation.replan'].sudo().search([])
        if not requests:
            return
        self.env['helpdesk.escalation.rule']._recompute_due_dates(
            requests.team_id, all_teams=any(not request.team_id for request in requests), commit=commit)
        requests.unlink()

    @api.model
    def _lock_due_lines(self, now, last_id, limit, skipped=()):
        """The SLA lines due at ``now`` (ids up to ``last_id``, not in ``skipped``) of at most
        ``limit`` tickets, the tickets whose first due line is the oldest, each ticket with *all*
        its due lines: a ticket is decided as a whole, whatever the batch size (a priority raised
        for one line re-matches the policies only once its other due lines are logged too).
        The tickets are locked first; a ticket another transaction holds (an agent saving it,
        another cron worker) is skipped, not waited for, and comes back in a later batch."""
        self.flush_model()
        self.env['helpdesk.ticket'].flush_model()
        query = SQL(
            """WITH due AS (
                   SELECT line.ticket_id, MIN(line.escalation_due_date) AS first_due
                     FROM helpdesk_sla_status line
                    WHERE line.escalation_due_date <= %(now)s
                      AND line.id <= %(last_id)s
                      AND line.id != ALL(%(skipped)s)
                 GROUP BY line.ticket_id
               ), locked AS (
                   SELECT ticket.id
                     FROM helpdesk_ticket ticket
                     JOIN due ON due.ticket_id = ticket.id
                 ORDER BY due.first_due, ticket.id
                    LIMIT %(limit)s
                      FOR NO KEY UPDATE OF ticket SKIP LOCKED
               )
               SELECT line.id
                 FROM helpdesk_sla_status line
                 JOIN locked ON locked.id = line.ticket_id
                WHERE line.escalation_due_date <= %(now)s
                  AND line.id <= %(last_id)s
                  AND line.id != ALL(%(skipped)s)
             ORDER BY line.ticket_id, line.id
                  FOR NO KEY UPDATE OF line""",
            now=now, last_id=last_id, skipped=list(skipped), limit=limit)
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
                rows = self.env.cr.fetchall()
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
            # rows escalated by another worker since this transaction started: it has them
            _logger.info("Escalation: due rows changed by another worker, leaving them to it")
            return self.browse()
        return self.sudo().browse(row[0] for row in rows)

    @api.model
    def _count_due_lines(self, now, last_id):
        return self.env.execute_query(SQL(
            """SELECT COUNT(*) FROM helpdesk_sla_status
                WHERE escalation_due_date <= %(now)s AND id <= %(last_id)s""",
            now=now, last_id=last_id))[0][0]

    @api.model
    def _escalate_lines(self, lines, now):
        """Apply to the SLA lines ``lines`` every rule due at ``now`` and not applied yet, in rule
        order (a line past several thresholds gets each level once, in order). The batch runs in
        one savepoint; if anything fails, it is redone with one savepoint per ticket: a ticket
        that fails is logged and skipped, the others go on, and a log the unique index refuses
        (another worker escalated the line first) skips the ticket without error. The users the
        rules notify get one digest per team for the batch.
        Returns (lines escalated, lines that failed)."""
        todo = defaultdict(list)  # ticket -> [(line, rule)]
        for line, pending in self.env['helpdesk.escalation.rule']._plan_escalations(lines).items():
            for due, rule in pending:
                if due <= now:
                    todo[line.ticket_id].append((line, rule))
        for pairs in todo.values():
            pairs.sort(key=lambda pair: (pair[1].level, pair[1].sequence, pair[1].id, pair[0].id))
        # a line picked with nothing due has a stale date (e.g. data changed in SQL): recompute it
        stale = lines - lines.browse({line.id for pairs in todo.values() for line, _rule in pairs})
        self.env.add_to_compute(lines._fields['escalation_due_date'], stale)
        cache = self.env.cr.cache
        cache[CLOCK_CACHE_KEY] = SlaClock(self.env, min(lines.mapped('start_date')))  # shared by the recomputes
        try:
            try:
                with self.env.cr.savepoint():
                    notifications = self._escalate_tickets(todo, now)
                escalated, failed_tickets = list(todo), []
            except Exception:  # found and logged below, ticket by ticket
                escalated, failed_tickets, notifications = self._escalate_one_by_one(todo, now)
        finally:
            cache.pop(CLOCK_CACHE_KEY, None)
        done = lines.browse({line.id for ticket in escalated for line, _rule in todo[ticket]})
        failed = lines.browse({line.id for ticket in failed_tickets for line, _rule in todo[ticket]})
        digests = defaultdict(list)  # (team, user) -> [log]
        for log, users in notifications:
            for user in users:
                digests[log.ticket_id.team_id, user].append(log)
        digests = self.env['helpdesk.escalation.notification']._hold_outside_working_hours(digests, now)
        self._send_digests(digests)
        return done, failed

    @api.model
    def _escalate_one_by_one(self, todo, now):
        """``_escalate_lines``' fallback: each ticket in its own savepoint.
        Returns ([tickets escalated], [tickets that failed], notifications)."""
        escalated, failed, notifications = [], [], []
        for ticket, pairs in todo.items():
            try:
                with self.env.cr.savepoint():
                    ticket_notifications = self._escalate_tickets({ticket: pairs}, now)
                notifications += ticket_notifications
                escalated.append(ticket)
            except psycopg2.errors.UniqueViolation:
                _logger.info("Escalation of ticket %s skipped: already escalated by another worker", ticket.id)
            except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
                _logger.info("Escalation of ticket %s postponed: changed by another transaction", ticket.id)
                failed.append(ticket)
            except Exception:
                _logger.exception("Escalation of ticket %s failed; it is skipped until the next run", ticket.id)
                failed.append(ticket)
        return escalated, failed, notifications

    @api.model
    def _send_digests(self, digests):
        """One message per (team, user) of ``digests`` listing the escalations of the batch, posted
        on the team (on the ticket for a ticket without team); a failure loses no escalation."""
        for (team, user), logs in digests.items():
            body = Markup("<p>%s</p><ul>%s</ul>") % (
                self.env._("Tickets escalated for your attention:"),
                Markup().join(Markup("<li>%s: %s (%s)</li>") % (
                    log.ticket_id._get_html_link(), log.rule_id.name,
                    self.env._("level %s", log.level)) for log in logs))
            subject = self.env._("%(count)s escalated ticket(s) in %(team)s", count=len(logs),
                                 team=team.name or logs[0].ticket_id.display_name)
            thread = (team or logs[0].ticket_id).sudo().with_context(mail_notify_force_send=False)
            try:
                with self.env.cr.savepoint():
                    thread.message_notify(partner_ids=user.partner_id.ids, subject=subject, body=body)
            except Exception:
                _logger.exception("Escalation digest for %s failed; the escalations are done", user.login)

    # ------------------------------------------------------------
    # APPLYING RULES
    # ------------------------------------------------------------

    @api.model
    def _escalate_tickets(self, todo, now, reason=None):
        """Apply the rules of ``todo`` ({ticket: [(SLA line or empty, rule or empty)] in order}):
        the logs are inserted first (the unique index on (rule, SLA line) is the last guard
        against double escalation), then the rules are applied in rounds (the first pair of
        every ticket, then the second one...), each rule's actions at once on all the tickets
        it applies to in the round, each application with an internal note.
        ``reason``: a manual escalation by the current user, whose note notifies the rules'
        users at once; otherwise they are returned, to be notified in a digest: [(log, users)]."""
        Log = self.env['helpdesk.escalation.log'].sudo()
        Ticket = self.env['helpdesk.ticket']
        if reason is None:
            Ticket = Ticket.with_context(**AUTOMATION_CONTEXT)
            todo = {ticket.with_env(Ticket.env): pairs for ticket, pairs in todo.items()}
        tickets = Ticket.union(*todo)
        applied = defaultdict(set)  # ticket id -> ids of the rules applied to it
        for log in Log.search_fetch([('ticket_id', 'in', tickets.ids), ('rule_id', '!=', False)],
                                    ['ticket_id', 'rule_id']):
            applied[log.ticket_id.id].add(log.rule_id.id)
        logs = iter(Log.create([{
            'ticket_id': ticket.id,
            'rule_id': rule.id,
            'sla_status_id': line.id,
            'sla_id': line.sla_id.id,
            'date': now,
            'level': rule.level if rule else ticket.escalation_level + 1,
            'manual': reason is not None,
            'reason': reason,
            'user_id': self.env.uid if reason is not None else False,
        } for ticket, pairs in todo.items() for line, rule in pairs]))
        todo = {ticket: [(next(logs), rule) for _line, rule in pairs] for ticket, pairs in todo.items()}
        self.env['helpdesk.escalation.log'].flush_model()
        # the policies are re-matched once, after every rule of the tickets applied (see _sla_apply)
        cache = self.env.cr.cache
        rematch_here = REMATCH_LATER_KEY not in cache
        if rematch_here:
            cache[REMATCH_LATER_KEY] = set()
        try:
            notifications = self._apply_rounds(todo, applied, reason, now)
        finally:
            rematch_ids = cache.pop(REMATCH_LATER_KEY, ()) if rematch_here else ()
        if rematch_ids:
            self.env['helpdesk.ticket'].browse(sorted(rematch_ids))._sla_apply()
        return notifications

    @api.model
    def _apply_rounds(self, todo, applied, reason, now):
        """``_escalate_tickets``' rounds: ``todo`` {ticket: [(log, rule)]} in order."""
        Ticket = self.env['helpdesk.ticket']
        if reason is None:
            Ticket = Ticket.with_context(**AUTOMATION_CONTEXT)
        notifications = []
        summaries = {}  # log id -> what its application did
        for index in range(max(map(len, todo.values()), default=0)):
            by_rule = defaultdict(list)  # rule -> [(ticket, log)] of this round
            for ticket, pairs in todo.items():
                if index < len(pairs):
                    log, rule = pairs[index]
                    by_rule[rule].append((ticket, log))
            notes = {}
            for rule, applications in by_rule.items():
                rule_tickets = Ticket.union(*(ticket for ticket, _log in applications))
                first_time = rule_tickets.filtered(lambda ticket, rule=rule: rule.id not in applied[ticket.id])
                actions = rule._apply_actions(rule_tickets, first_time) if rule else defaultdict(list)
                self._mark_escalated(applications, rule, actions, now)
                for ticket, log in applications:
                    applied[ticket.id].add(rule.id)
                    users = rule._get_notified_users(ticket) if rule else self.env['res.users']
                    if users:
                        actions[ticket].append(self.env._("Notified: %s", ", ".join(users.mapped('name'))))
                        if reason is None:
                            notifications.append((log, users))
                    summaries[log.id] = "\n".join(actions[ticket]) or False
                    notes[ticket] = (log, rule, actions[ticket], users)
            self._post_escalation_notes(notes, reason)
        # one write per distinct summary (the tickets of a rule mostly share theirs), not per log
        Log = self.env['helpdesk.escalation.log'].sudo()
        for summary, log_ids in tools.groupby(summaries, key=summaries.get):
            Log.browse(log_ids).action_summary = summary
        return notifications

    @api.model
    def _mark_escalated(self, applications, rule, actions, now):
        """Stamp the escalation level (and, for manual escalations and rules marking tickets
        escalated, the escalated flag and date) on the tickets of ``applications``."""
        by_vals = defaultdict(list)
        for ticket, log in applications:
            vals = {}
            if log.manual or rule.mark_escalated:
                vals['is_escalated'] = True
                if not ticket.is_escalated:
                    vals['escalation_date'] = now
                    actions[ticket].append(self.env._("Marked as escalated"))
            if log.level > ticket.escalation_level:
                vals['escalation_level'] = log.level
            if vals:
                by_vals[tuple(sorted(vals.items()))].append(ticket.id)
        for vals, ticket_ids in by_vals.items():
            self.env['helpdesk.ticket'].sudo().browse(ticket_ids).write(dict(vals))

    @api.model
    def _post_escalation_notes(self, notes, reason=None):
        """The internal notes of a round of applications ({ticket: (log, rule, actions, users)}).
        A manual escalation is posted by the agent, with their reason, and notifies the users;
        the cron's are logged by OdooBot in one batch (their users get a digest)."""
        bodies = {}
        for ticket, (log, rule, actions, users) in notes.items():
            if reason is not None:
                header = self.env._("Escalated by hand to level %s", log.level)
            elif log.sla_id:
                header = self.env._("Escalation level %(level)s: %(rule)s (SLA “%(sla)s”, %(when)s)", level=log.level,
                                    rule=rule.name, sla=log.sla_id.name, when=rule.trigger_description)
            else:
                header = self.env._("Escalation level %(level)s: %(rule)s", level=log.level, rule=rule.name)
            body = Markup("<p><b>%s</b></p>") % header
            if reason:
                body += Markup("<blockquote>%s</blockquote>") % reason
            if rule and reason is not None:
                body += Markup("<p>%s</p>") % self.env._("Rule applied: %s", rule.name)
            if actions:
                body += Markup("<ul>%s</ul>") % Markup().join(Markup("<li>%s</li>") % action for action in actions)
            if reason is not None:
                ticket.message_post(body=body, subtype_xmlid='mail.mt_note', partner_ids=users.partner_id.ids)
            else:
                bodies[ticket.id] = body
        if bodies:
            tickets = self.env['helpdesk.ticket'].browse(bodies).with_context(**AUTOMATION_CONTEXT)._as_automation()
            tickets._message_log_batch(bodies=bodies)
