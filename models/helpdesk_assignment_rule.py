from odoo import fields, models


def plan_assignees(user_ids, count, method, load, pointer, away_until):
    """Hand ``count`` tickets out to the agents ``user_ids`` (ids in ascending order).

    * ``method`` 'randomly': a rotation after ``pointer`` (the last agent served), so
      every agent gets the same number of tickets over time, to within one;
      'balanced': the agent with the fewest open tickets in ``load`` (user id -> count,
      updated in place as tickets are handed out), ties in rotation order.
    * ``away_until`` maps the agents away now to when they are back: they are skipped;
      when everybody is away, the agents back soonest share the tickets.

    Returns the list of chosen user ids (one per ticket) and the new pointer.
    """
    present = [uid for uid in user_ids if uid not in away_until]
    if not present and user_ids:
        back = min(away_until[uid] for uid in user_ids)
        present = [uid for uid in user_ids if away_until[uid] == back]
    if not present:
        return [], pointer
    chosen = []
    for _index in range(count):
        eligible = present
        if method == 'balanced':
            fewest = min(load.get(uid, 0) for uid in present)
            eligible = [uid for uid in present if load.get(uid, 0) == fewest]
        pick = next((uid for uid in eligible if uid > (pointer or 0)), eligible[0])
        load[pick] = load.get(pick, 0) + 1
        pointer = pick
        chosen.append(pick)
    return chosen, pointer


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

    def _get_pool(self):
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
            if not candidates or not rule._get_pool():
                continue
            matched = rule._filter_matching(candidates)
            result.update(dict.fromkeys(matched, rule))
            todo[rule.team_id] = candidates - matched
        return result
