import logging
from collections import defaultdict

import psycopg2.errors

from odoo import api, fields, models
from odoo.tools import SQL

from ..core import plan_assignees, queue_order

_logger = logging.getLogger(__name__)


class HelpdeskAssignmentRule(models.Model):
    """An ordered routing rule of a team: tickets it matches go to its pool of agents."""

    _name = 'helpdesk.assignment.rule'
    _description = "Helpdesk Assignment Rule"
    _inherit = ['helpdesk.ticket.criteria']
    _order = 'team_id, sequence, id'

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    team_id = fields.Many2one('helpdesk.team', required=True, index=True, ondelete='cascade')
    company_id = fields.Many2one(related='team_id.company_id', store=True, index=True)
    # matching criteria (empty = any) come from helpdesk.ticket.criteria
    # pool
    team_member_ids = fields.Many2many(related='team_id.member_ids', string="Team Agents")
    user_ids = fields.Many2many(
        'res.users', 'helpdesk_assignment_rule_res_users_rel', 'rule_id', 'user_id', string="Agents",
        domain="[('id', 'in', team_member_ids)]",
        help="Agents of the team who get the matching tickets. Agents no longer in the team are skipped.")
    assign_method = fields.Selection([
        ('randomly', "Randomly"),
        ('balanced', "Balanced"),
    ], string="Assignment Method", default='balanced', required=True,
        help="Randomly: every agent of the pool gets the same number of tickets over time.\n"
             "Balanced: the agent with the fewest open tickets in the team gets the next one.")
    last_assigned_user_id = fields.Many2one(
        'res.users', string="Last Assigned To", readonly=True, copy=False,
        help="Where the rotation of the pool stands.")

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _get_assignment_pool(self):
        """The rule's agents still active members of its team, by id."""
        self.ensure_one()
        members = self.team_id.member_ids
        return self.user_ids.filtered(lambda user: user in members and user.active and not user.share).sorted('id')

    def _match_tickets(self, tickets):
        """The first rule of ``self`` (in sequence order) matching each ticket, among the rules
        of the ticket's team that have agents: a dict ticket -> rule, unmatched tickets left out."""
        result = {}
        todo = tickets.grouped('team_id')  # team -> tickets no rule matched yet
        for rule in self.sorted(lambda rule: (rule.sequence, rule.id)):
            candidates = todo.get(rule.team_id)
            if not candidates or not rule._get_assignment_pool():
                continue
            matched = rule._filter_matching(candidates)
            result.update(dict.fromkeys(matched, rule))
            todo[rule.team_id] = candidates - matched
        return result

    # ------------------------------------------------------------
    # ASSIGNMENT ENGINE
    # ------------------------------------------------------------

    @api.model
    def _assign_tickets(self, tickets, now):
        """Give each unassigned ticket of ``tickets`` to an agent at ``now``: the pool and method
        of the first matching assignment rule of its team, else the team's members and method
        (none for manual teams). Agents on time off are skipped (see ``_get_agents_away``).
        Set-based: one rule search, one leave search and one open-ticket count per call,
        the counts kept up to date in memory while handing tickets out. The assignment date
        is set, its report figures are left to the caller (``_reporting_stamp``), which
        computes them once for the whole batch."""
        tickets = tickets.filtered(lambda ticket: not ticket.user_id and ticket.team_id)
        if not tickets:
            return
        # the waiting queue's order: oldest first, the higher priority first within a minute
        tickets = tickets.browse(queue_order([(ticket.id, ticket.create_date or now, ticket.priority)
                                              for ticket in tickets]))
        rules = self.env['helpdesk.assignment.rule'].sudo().search([('team_id', 'in', tickets.team_id.ids)])
        ticket_rules = rules._match_tickets(tickets)
        pools = defaultdict(list)  # (rule or team) -> ticket ids
        for ticket in tickets:
            owner = ticket_rules.get(ticket) or ticket.team_id
            if owner.assign_method != 'manual':
                pools[owner].append(ticket.id)
        if not pools:
            return
        users = {owner: owner._get_assignment_pool() for owner in pools}
        all_users = self.env['res.users'].union(*users.values())
        away_until = self._get_agents_away(all_users, now)
        loads = defaultdict(dict)  # team -> {user id: open tickets}
        if any(owner.assign_method == 'balanced' for owner in pools) or any(tickets.team_id.mapped('agent_capacity')):
            for team, user, count in self.env['helpdesk.ticket'].sudo()._read_group(
                    [('team_id', 'in', tickets.team_id.ids), ('user_id', 'in', all_users.ids),
                     ('is_closed', '=', False)], ['team_id', 'user_id'], ['__count']):
                loads[team][user.id] = count
        assigned_ids = defaultdict(list)  # user id -> ticket ids
        pointers = {}
        for owner, pool_ticket_ids in pools.items():
            team = tickets.browse(pool_ticket_ids[0]).team_id  # the pool's tickets share their team
            chosen, pointer = plan_assignees(
                users[owner].ids, len(pool_ticket_ids), owner.assign_method, loads[team],
                owner.last_assigned_user_id.id, away_until, capacity=team.agent_capacity)
            for ticket_id, user_id in zip(pool_ticket_ids, chosen, strict=False):  # none chosen: no agent
                assigned_ids[user_id].append(ticket_id)
            if pointer and pointer != owner.last_assigned_user_id.id:
                pointers[owner] = pointer
        # one write per agent, without the chatter's per-write follower handling, then one
        # follower insertion for the whole batch
        assignments = {user_id: tickets.browse(ticket_ids) for user_id, ticket_ids in assigned_ids.items()}
        for user_id, user_tickets in assignments.items():
            user_tickets.with_context(tracking_disable=True, helpdesk_sla_assigning=True).write(
                {'user_id': user_id, 'assign_date': now})
        self._subscribe_assignees(assignments)
        self._save_assignment_pointers(pointers)

    @api.model
    def _assign_queue(self, teams, now=None):
        """Give the tickets waiting for an agent in ``teams`` (open, unassigned, in a team with
        an agent capacity and automatic assignment) to the agents with room left, in queue order
        (see ``_assign_tickets``). Called as soon as room may have freed: a ticket of the team
        closed, reassigned, archived or moved, and by the queue cron when an agent's time off
        ends. Returns the tickets assigned."""
        now = now or fields.Datetime.now()
        teams = teams.sudo().filtered(lambda team: team.agent_capacity > 0 and (
            team.assign_method != 'manual' or team.assignment_rule_ids))
        if not teams:
            return self.env['helpdesk.ticket']
        queued = self.env['helpdesk.ticket'].sudo().search(teams._get_queue_domain())
        if not queued:
            return queued
        self._assign_tickets(queued, now)
        assigned = queued.filtered('user_id')
        assigned._reporting_stamp(('assign_date',))
        return assigned

    @api.model
    def _cron_assign_queue(self):
        """The safety net of the waiting queues (and the trigger at the end of an agent's time
        off, see ``resource.calendar.leaves``): assign what agents have room for."""
        teams = self.env['helpdesk.team'].sudo().search([('agent_capacity', '>', 0)])
        self._assign_queue(teams)

    @api.model
    def _subscribe_assignees(self, assignments):
        """Make the agents follow the tickets just assigned to them (``assignments``: user id ->
        tickets), with the default subtypes, like any assigned user, but without the "you have
        been assigned" email per ticket (as CRM's lead assignment): rendering one costs several
        times the creation of the ticket itself.

        Two insertions for the whole batch (followers, then their subtypes); existing followers
        are left as they are. The ORM's ``create`` of followers costs more here than the
        ticket's own creation, for rows that have nothing to compute."""
        pairs = [(ticket_id, user_id) for user_id, tickets in assignments.items() for ticket_id in tickets.ids]
        if not pairs:
            return
        self.env['mail.followers'].flush_model()
        partner_of = {user.id: user.partner_id.id for user in self.env['res.users'].browse(list(assignments))}
        follower_ids = [row[0] for row in self.env.execute_query(SQL(
            """INSERT INTO mail_followers (res_model, res_id, partner_id)
               SELECT 'helpdesk.ticket', res_id, partner_id FROM unnest(%s::int4[], %s::int4[]) AS new(res_id, partner_id)
               ON CONFLICT (res_model, res_id, partner_id) DO NOTHING
               RETURNING id""",
            [ticket_id for ticket_id, _user_id in pairs], [partner_of[user_id] for _ticket_id, user_id in pairs]))]
        subtypes = self.env['mail.message.subtype'].default_subtypes('helpdesk.ticket')[0]
        if follower_ids and subtypes:
            self.env.execute_query(SQL(
                """INSERT INTO mail_followers_mail_message_subtype_rel (mail_followers_id, mail_message_subtype_id)
                   SELECT follower_id, subtype_id
                     FROM unnest(%s::int4[]) AS f(follower_id), unnest(%s::int4[]) AS s(subtype_id)""",
                follower_ids, subtypes.ids))
        self.env['helpdesk.ticket'].browse([ticket_id for ticket_id, _user_id in pairs]).invalidate_recordset(
            ['message_follower_ids', 'message_partner_ids', 'message_is_follower'])

    @api.model
    def _get_agents_away(self, users, now):
        """The agents of ``users`` on time off at ``now`` (a leave of one of their resources,
        e.g. from the Time Off app, covers it), mapped to when they are back: the end of
        the leaves chained from now. Public holidays, shared by all, are not looked at."""
        leaves = self.env['resource.calendar.leaves'].sudo().search_fetch([
            ('resource_id.user_id', 'in', users.ids),
            ('time_type', '=', 'leave'),
            ('date_to', '>', now),
        ], ['resource_id', 'date_from', 'date_to'], order='date_from')
        back = {}
        for leave in leaves:
            user_id = leave.resource_id.user_id.id
            free_at = back.get(user_id, now)
            if leave.date_from <= free_at < leave.date_to:
                back[user_id] = leave.date_to
        return {user_id: date for user_id, date in back.items() if date > now}

    @api.model
    def _save_assignment_pointers(self, pointers):
        """Store where each rotation stands (``pointers``: team or rule -> user id), without
        ever waiting: a pointer row another intake holds, or changed since this transaction
        began, is left to it (the rotation then only skips one turn) rather than making every
        intake of the team queue behind one row lock or fail. The lock is tried with SKIP
        LOCKED; a row changed since the snapshot raises a serialization failure, which is
        expected here and not logged as a bad query."""
        if not pointers:
            return
        cr = self.env.cr
        for owner, user_id in pointers.items():
            owner.flush_recordset(['last_assigned_user_id'])
            table = SQL.identifier(owner._table)
            try:
                with cr.savepoint(flush=False):
                    cr.execute(SQL("SELECT id FROM %s WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED", table, owner.id),
                               log_exceptions=False)
                    if cr.fetchone():
                        cr.execute(SQL("UPDATE %s SET last_assigned_user_id = %s WHERE id = %s", table, user_id,
                                       owner.id), log_exceptions=False)
                    else:
                        _logger.debug("Assignment rotation of %s not saved: another intake holds it", owner)
            except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
                _logger.debug("Assignment rotation of %s not saved: updated concurrently", owner)
            owner.invalidate_recordset(['last_assigned_user_id'])
