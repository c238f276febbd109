"""Automatic assignment cost in the SLA creation benchmark (2,000 tickets in batches of 100,
two SLA policies; issue target: <= 15 % over the same team assigning manually). Eight agents,
one of them on time off; the "rules" team checks three assignment rules per ticket, the last
one (with a domain) matching."""
import time

from common import add_policies, business_calendar, create_tickets, make_team

from odoo.fields import Command

TICKETS = 2000
AGENTS = 8


def run(env, report):
    calendar = business_calendar(env)
    partner = env['res.partner'].create({'name': "Bench Customer", 'email': 'bench@example.com'})
    agents = env['res.users'].with_context(no_reset_password=True).create([{
        'name': f"Bench Agent {index}", 'login': f'bench.agent.{index}@example.com',
        'email': f'bench.agent.{index}@example.com',
        'group_ids': [Command.link(env.ref('helpdesk_sla.group_helpdesk_user').id)],
    } for index in range(AGENTS)])
    away = agents[0]
    now = env.cr.now().replace(tzinfo=None)
    env['resource.calendar.leaves'].create({
        'name': "Bench time off", 'calendar_id': calendar.id,
        'resource_id': env['resource.resource'].create({'name': away.name, 'user_id': away.id}).id,
        'date_from': now.replace(hour=0, minute=0), 'date_to': now.replace(hour=23, minute=59)})

    methods = ['manual', 'balanced', 'randomly', 'rules']
    teams = []
    for method in methods:
        team, stages = make_team(env, f"Bench {method}", calendar, member_ids=[Command.set(agents.ids)],
                                 assign_method='balanced' if method == 'rules' else method)
        add_policies(env, team, stages)
        teams.append(team)
    tag = env['helpdesk.tag'].create({'name': "Bench rule tag"})
    tier = env['res.partner.category'].create({'name': "Bench tier"})
    env['helpdesk.assignment.rule'].create([{
        'name': "Tagged", 'team_id': teams[3].id, 'sequence': 1, 'tag_ids': [Command.link(tag.id)],
        'user_ids': [Command.set(agents[:2].ids)],
    }, {
        'name': "Tier", 'team_id': teams[3].id, 'sequence': 2, 'partner_category_ids': [Command.link(tier.id)],
        'user_ids': [Command.set(agents[2:4].ids)],
    }, {
        'name': "High priority", 'team_id': teams[3].id, 'sequence': 3, 'domain': "[('priority', '=', '2')]",
        'user_ids': [Command.set(agents[:5].ids)], 'assign_method': 'randomly',
    }])
    env.flush_all()

    for team in teams:  # warm-up: the first batch pays for registry and caches
        create_tickets(env, team, partner, 100)
    created, costs = create_measured(env, teams, partner, TICKETS)

    assert not created[0].user_id, "a manual team assigns nobody"
    for tickets in created[1:]:
        assert all(tickets.mapped('user_id')), "automatic methods assign every ticket"
        assert away not in tickets.user_id, "the agent on time off gets nothing"
    assert created[3].user_id <= agents[:5], "the matching rule's pool gets the tickets"
    rates = {}
    for method, (wall, _cpu, queries) in zip(methods, costs, strict=True):
        rates[method] = report.rate(f"create {TICKETS} tickets, 2 policies, assignment {method}", TICKETS, wall,
                                    f"({queries / TICKETS:.2f} queries/ticket)")
    manual_wall, manual_cpu, manual_queries = costs[0]
    for method, (_wall, cpu, queries) in zip(methods[1:], costs[1:], strict=True):
        report.ratio(f"assignment {method} cost vs manual (time)", rates['manual'] / rates[method],
                     "(target <= 1.15 x)")
        report.ratio(f"assignment {method} cost vs manual (CPU, steadier on a busy machine)",
                     cpu / manual_cpu)
        report.ratio(f"assignment {method} cost vs manual (queries)", queries / manual_queries)


def create_measured(env, teams, partner, count, batch=100):
    """Like ``create_interleaved``, also measuring this process's CPU time and the queries:
    returns ([tickets per team], [(seconds, cpu seconds, queries) per team])."""
    created = [env['helpdesk.ticket'] for _team in teams]
    costs = [[0.0, 0.0, 0] for _team in teams]
    for offset in range(0, count, batch):
        for index, team in enumerate(teams):
            cpu, queries = time.process_time(), env.cr.sql_log_count
            tickets, spent = create_tickets(env, team, partner, min(batch, count - offset), batch=batch)
            costs[index][0] += spent
            costs[index][1] += time.process_time() - cpu
            costs[index][2] += env.cr.sql_log_count - queries
            created[index] |= tickets
    return created, [tuple(cost) for cost in costs]
