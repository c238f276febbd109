"""Shared fixtures and reporting of the Odoo benchmarks."""
import time
from contextlib import contextmanager

from odoo.fields import Command


class Report:
    """Prints one aligned line per figure: throughput, durations and ratios."""

    def __init__(self, suite):
        self.suite = suite

    def line(self, label, value, note=""):
        print(f"  {self.suite:<11} {label:<62} {value:>14}  {note}".rstrip(), flush=True)

    def rate(self, label, count, seconds, note=""):
        rate = count / seconds if seconds else float('inf')
        self.line(label, f"{rate:,.1f} /s", note)
        return rate

    def duration(self, label, seconds, budget=None):
        note = "" if budget is None else f"(budget {budget * 1000:,.0f} ms: {'ok' if seconds <= budget else 'OVER'})"
        self.line(label, f"{seconds * 1000:,.1f} ms", note)
        return seconds

    def ratio(self, label, value, note=""):
        self.line(label, f"{value:,.2f} x", note)
        return value


@contextmanager
def timer(env, result):
    """Time a block, flushing the ORM so deferred writes are counted; ``result`` gets ``seconds``."""
    start = time.perf_counter()
    yield
    env.flush_all()
    result['seconds'] = time.perf_counter() - start


def business_calendar(env, name="Bench 9-17"):
    return env['resource.calendar'].create({
        'name': name, 'tz': 'UTC',
        'attendance_ids': [Command.clear()] + [Command.create({
            'name': f"Day {day}", 'dayofweek': str(day), 'hour_from': 9.0, 'hour_to': 17.0,
            'day_period': 'full_day'}) for day in range(5)],
    })


def make_team(env, name, calendar, use_sla=True, **values):
    """A team with the five usual stages; returns (team, stages dict)."""
    Stage = env['helpdesk.stage']
    stages = {
        'new': Stage.create({'name': "New", 'sequence': 1}),
        'progress': Stage.create({'name': "In Progress", 'sequence': 2}),
        'waiting': Stage.create({'name': "Waiting on Customer", 'sequence': 3}),
        'solved': Stage.create({'name': "Solved", 'sequence': 10, 'fold': True}),
    }
    team = env['helpdesk.team'].create(dict({
        'name': name, 'use_sla': use_sla, 'resource_calendar_id': calendar.id,
        'stage_ids': [Command.set([stage.id for stage in stages.values()])],
    }, **values))
    return team, stages


def add_policies(env, team, stages, priority='2'):
    """Two policies matching ``priority``: first response in 2 h and resolution in 8 h, paused while waiting."""
    return env['helpdesk.sla'].create([{
        'name': "Respond in 2 h", 'team_id': team.id, 'priority': priority, 'target_type': 'first_response',
        'time': 2.0, 'exclude_stage_ids': [Command.link(stages['waiting'].id)],
    }, {
        'name': "Solve in 8 h", 'team_id': team.id, 'priority': priority, 'target_type': 'resolution',
        'stage_id': stages['solved'].id, 'time': 8.0, 'exclude_stage_ids': [Command.link(stages['waiting'].id)],
    }])


def create_tickets(env, team, partner, count, batch=100, priority='2'):
    """Create ``count`` tickets in batches; returns (tickets, seconds)."""
    tickets = env['helpdesk.ticket']
    result = {}
    with timer(env, result):
        for offset in range(0, count, batch):
            tickets |= env['helpdesk.ticket'].create([{
                'name': f"Bench ticket {offset + i}", 'team_id': team.id, 'partner_id': partner.id,
                'priority': priority,
            } for i in range(min(batch, count - offset))])
    return tickets, result['seconds']


def create_interleaved(env, teams, partner, count, batch=100):
    """Create ``count`` tickets on each team, alternating batches between the teams so that
    machine load affects them alike; returns ([tickets per team], [seconds per team])."""
    created = [env['helpdesk.ticket'] for _team in teams]
    seconds = [0.0 for _team in teams]
    for offset in range(0, count, batch):
        for index, team in enumerate(teams):
            tickets, spent = create_tickets(env, team, partner, min(batch, count - offset), batch=batch)
            created[index] |= tickets
            seconds[index] += spent
    return created, seconds


def move_tickets(env, tickets, stages_in_order, batch=100):
    """Move tickets through the given stages in batches; returns (moves, seconds)."""
    result = {}
    moves = 0
    with timer(env, result):
        for offset in range(0, len(tickets), batch):
            chunk = tickets[offset:offset + batch]
            for stage in stages_in_order:
                chunk.write({'stage_id': stage.id})
                moves += len(chunk)
    return moves, result['seconds']


def assert_orm_summary(env, ticket_ids, fnames=('sla_deadline', 'sla_fail_date', 'sla_status')):
    """Bulk SQL data must store what the ORM would: recompute the tickets' SLA summary
    ``fnames`` from their lines and compare with the stored values."""
    tickets = env['helpdesk.ticket'].browse(ticket_ids)
    stored = tickets.read(list(fnames))
    env.add_to_compute(tickets._fields[fnames[0]], tickets)
    tickets._recompute_recordset(list(fnames))
    assert tickets.read(list(fnames)) == stored, "bulk tickets store the SLA summary the ORM computes"
    tickets.invalidate_recordset(list(fnames))


HISTORY_TICKETS = 5000


def ensure_history(env, tickets=HISTORY_TICKETS):
    """Give the benchmark database the committed history of a desk in use (tickets with SLA
    lines, half of them solved) and fresh statistics, once. On empty tables PostgreSQL plans
    lookups (foreign-key checks among them) as sequential scans, which then slow down as a
    suite's own rows pile up: figures from an empty database measure that artefact."""
    if env['helpdesk.ticket'].with_context(active_test=False).search_count([]) >= tickets:
        return
    calendar = business_calendar(env, "Bench history 9-17")
    partner = env['res.partner'].create({'name': "Bench History Customer", 'email': 'history@example.com'})
    team, stages = make_team(env, "Bench history", calendar)
    add_policies(env, team, stages)
    history, _seconds = create_tickets(env, team, partner, tickets)
    move_tickets(env, history[::2], [stages['progress'], stages['solved']])
    env.cr.commit()
    env.cr.execute("ANALYZE")
