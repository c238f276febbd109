"""Reporting at volume (issue targets: with 1,000,000 SLA lines on 400,000 tickets, the SLA
success rate grouped by team and priority, and the team dashboard counters, each < 1 s).

The data is made with bulk SQL inside the suite's transaction (rolled back afterwards):
8 teams with three policies each (first response, resolution, next response); 20 % of the
tickets open; every ticket has a first-response and a resolution line, every other one a
next-response line; open lines have deadlines from two days ago to two days ahead (about
half failed), some paused; 100,000 ratings over the year. Each measured query is then
shown with EXPLAIN ANALYZE and the indexes its plan reads.
"""
import re
import time
from contextlib import contextmanager

from common import assert_orm_summary, business_calendar, make_team

from odoo.fields import Command
from odoo.tools import SQL

TICKETS = 400_000
TEAMS = 8
AGENTS = 10
RATINGS = 100_000
RUNS = 3
INDEX_PATTERN = re.compile(r'(?:Index Scan|Index Only Scan|Bitmap Index Scan) (?:Backward )?(?:using|on) (\w+)')


def run(env, report):
    teams, policies = make_teams(env)
    agents = env['res.users'].create([{
        'name': f"Bench Agent {i}", 'login': f'bench_reporting_agent_{i}',
        'group_ids': [Command.link(env.ref('helpdesk_sla.group_helpdesk_user').id)],
    } for i in range(AGENTS)])
    env.flush_all()
    started = time.perf_counter()
    ticket_count, line_count, rating_count = make_data(env, teams, policies, agents)
    report.line(f"bulk data: {ticket_count:,} tickets, {line_count:,} SLA lines, {rating_count:,} ratings",
                f"{time.perf_counter() - started:,.1f} s")

    Report = env['helpdesk.sla.report.analysis']

    def success_rate():
        return Report._read_group([('team_id', 'in', teams.ids)], ['team_id', 'priority'],
                                  ['success_rate:avg', '__count'])

    seconds, rows, queries = measure(env, success_rate)
    assert len(rows) == TEAMS * 4 and sum(count for *_keys, _rate, count in rows) == line_count, rows
    report.duration(f"SLA success rate by team and priority ({line_count:,} lines, {len(rows)} groups)",
                    seconds, budget=1.0)
    explain(env, report, "success rate", queries)

    def dashboard():
        teams.invalidate_recordset()
        return [(team.open_ticket_count, team.unassigned_ticket_count, team.urgent_ticket_count,
                 team.sla_failed_ticket_count, team.sla_at_risk_ticket_count, team.sla_success_rate,
                 team.rating_avg_last_7_days) for team in teams]

    seconds, counters, queries = measure(env, dashboard)
    assert all(open_count and failed and rate for open_count, _u, _r, failed, _a, rate, _avg in counters), counters
    report.duration(f"dashboard counters of {TEAMS} teams ({len(queries)} queries)", seconds, budget=1.0)
    explain(env, report, "dashboard", queries)
    totals = [sum(column) for column in zip(*counters, strict=True)]
    report.line("dashboard totals: open / unassigned / urgent / failed / at risk",
                " / ".join(f"{value:,}" for value in totals[:5]))


def make_teams(env):
    calendar = business_calendar(env, "Bench reporting 9-17")
    teams = env['helpdesk.team']
    policies = {}
    for index in range(TEAMS):
        team, stages = make_team(env, f"Bench reporting {index}", calendar)
        teams |= team
        policies[team.id] = (stages, env['helpdesk.sla'].create([{
            'name': "Respond in 2 h", 'team_id': team.id, 'target_type': 'first_response', 'time': 2.0,
            'exclude_stage_ids': [Command.link(stages['waiting'].id)],
        }, {
            'name': "Solve in 8 h", 'team_id': team.id, 'target_type': 'resolution', 'time': 8.0,
            'stage_id': stages['solved'].id, 'exclude_stage_ids': [Command.link(stages['waiting'].id)],
        }, {
            'name': "Answer again in 4 h", 'team_id': team.id, 'target_type': 'next_response', 'time': 4.0,
        }]))
    return teams, policies


def make_data(env, teams, policies, agents):
    """Tickets, SLA lines and ratings in bulk SQL; returns their counts."""
    cr = env.cr
    team_ids = teams.ids
    cr.execute("""
        CREATE TEMP TABLE bench_team ON COMMIT DROP AS
        SELECT t.ord - 1 AS slot, t.team_id, t.progress, t.waiting, t.solved, t.fr, t.res, t.nr
          FROM unnest(%(teams)s::int[], %(progress)s::int[], %(waiting)s::int[], %(solved)s::int[],
                      %(fr)s::int[], %(res)s::int[], %(nr)s::int[])
               WITH ORDINALITY AS t(team_id, progress, waiting, solved, fr, res, nr, ord)
    """, {
        'teams': team_ids,
        'progress': [policies[tid][0]['progress'].id for tid in team_ids],
        'waiting': [policies[tid][0]['waiting'].id for tid in team_ids],
        'solved': [policies[tid][0]['solved'].id for tid in team_ids],
        'fr': [policies[tid][1][0].id for tid in team_ids],
        'res': [policies[tid][1][1].id for tid in team_ids],
        'nr': [policies[tid][1][2].id for tid in team_ids],
    })
    # n % 5 = 0: open (20 %); among open ones n % 10 = 5 waiting on the customer (paused)
    cr.execute("""
        CREATE TEMP TABLE bench_ticket ON COMMIT DROP AS
        SELECT n, nextval('helpdesk_ticket_id_seq')::int AS ticket_id,
               now() AT TIME ZONE 'UTC' - (n %% 525600) * interval '1 minute' AS created,
               n %% 5 = 0 AS is_open
          FROM generate_series(1, %(count)s) AS n
    """, {'count': TICKETS})
    cr.execute("""
        INSERT INTO helpdesk_ticket (
            id, name, team_id, stage_id, company_id, priority, channel, user_id, active, is_closed,
            create_date, write_date, create_uid, write_uid, date_last_stage_update, assign_date,
            date_first_response, close_date, assign_hours, first_response_hours, close_hours,
            is_first_contact_resolution)
        SELECT b.ticket_id, 'Volume ' || b.n, bt.team_id,
               CASE WHEN NOT b.is_open THEN bt.solved WHEN b.n %% 10 = 5 THEN bt.waiting ELSE bt.progress END,
               %(company)s, ((b.n / 8) %% 4)::text,
               (ARRAY['email', 'web_form', 'portal', 'phone', 'backend', 'api'])[1 + b.n %% 6],
               CASE WHEN b.n %% 7 = 0 THEN NULL ELSE (%(agents)s::int[])[1 + b.n %% %(agent_count)s] END,
               true, NOT b.is_open, b.created, b.created, 1, 1, b.created,
               CASE WHEN b.n %% 7 = 0 THEN NULL ELSE b.created + interval '30 minutes' END,
               b.created + interval '1 hour', CASE WHEN b.is_open THEN NULL ELSE b.created + interval '6 hours' END,
               0.5, 1.0 + (b.n %% 3), CASE WHEN b.is_open THEN 0 ELSE 6.0 END, b.n %% 3 = 0
          FROM bench_ticket b JOIN bench_team bt ON bt.slot = b.n %% %(teams)s
    """, {'company': teams[0].company_id.id, 'agents': agents.ids, 'agent_count': len(agents),
          'teams': len(team_ids)})
    ticket_count = cr.rowcount
    # fresh statistics before the lines, whose foreign key checks plan lookups on the tickets: after an
    # earlier rolled-back run, autovacuum leaves the table with 0 pages and the checks would scan it
    cr.execute("ANALYZE helpdesk_ticket")
    # lines: first response (reached after 1 h, 1 in 7 late), resolution, next response for even n;
    # open tickets' first response is reached for even n, other open lines run with deadlines from
    # 48 h ago to 48 h ahead, at risk 1 h before, paused for the tickets waiting on the customer
    cr.execute("""
        INSERT INTO helpdesk_sla_status (
            ticket_id, sla_id, target_type, team_id, priority, company_id, start_date, deadline, warning_date, reached_datetime,
            exceeded_hours, reached_hours, paused_seconds, pause_start, status, create_date, write_date)
        SELECT b.ticket_id, l.sla_id, l.target_type, bt.team_id, ((b.n / 8) %% 4)::text, %(company)s, b.created, l.deadline, l.deadline - interval '1 hour',
               l.reached, CASE WHEN l.reached IS NOT NULL AND b.n %% 7 = 0 THEN 1.5 ELSE 0 END,
               CASE WHEN l.reached IS NOT NULL THEN 1.0 END, 0,
               CASE WHEN l.reached IS NULL AND b.n %% 10 = 5 THEN now() AT TIME ZONE 'UTC' - interval '3 hours' END,
               CASE WHEN l.reached IS NOT NULL THEN 'reached'
                    WHEN l.deadline < now() AT TIME ZONE 'UTC' THEN 'failed' ELSE 'ongoing' END,
               b.created, b.created
          FROM bench_ticket b
          JOIN bench_team bt ON bt.slot = b.n %% %(teams)s
          CROSS JOIN LATERAL (
              VALUES (bt.fr, 'first_response',
                      CASE WHEN b.is_open AND b.n %% 2 = 1 THEN NULL ELSE b.created + interval '1 hour' END),
                     (bt.res, 'resolution', CASE WHEN b.is_open THEN NULL ELSE b.created + interval '6 hours' END),
                     (CASE WHEN b.n %% 2 = 0 THEN bt.nr END, 'next_response', b.created + interval '2 hours')
          ) AS v(sla_id, target_type, reached)
          CROSS JOIN LATERAL (
              SELECT v.sla_id, v.target_type, v.reached,
                     CASE WHEN v.reached IS NOT NULL THEN b.created + interval '2 hours'
                          ELSE now() AT TIME ZONE 'UTC' + ((b.n * 7 %% 97) - 48) * interval '1 hour' END AS deadline
          ) AS l
         WHERE l.sla_id IS NOT NULL
    """, {'company': teams[0].company_id.id, 'teams': len(team_ids)})
    line_count = cr.rowcount
    # the open tickets' stored SLA summary, as the ORM computes it from their running lines (the
    # others have none): the earliest running deadline, and when the ticket counts as failing
    cr.execute("""
        UPDATE helpdesk_ticket t
           SET sla_deadline = s.running_deadline, sla_fail_date = s.fail_date
          FROM (SELECT ticket_id,
                       MIN(deadline) FILTER (WHERE pause_start IS NULL) AS running_deadline,
                       MIN(deadline) FILTER (WHERE pause_start IS NULL OR deadline < pause_start) AS fail_date
                  FROM helpdesk_sla_status
                 WHERE reached_datetime IS NULL AND ticket_id IN (SELECT ticket_id FROM bench_ticket WHERE is_open)
                 GROUP BY ticket_id) AS s
         WHERE t.id = s.ticket_id
    """)
    cr.execute("SELECT ticket_id FROM bench_ticket WHERE n <= 40 ORDER BY n")
    assert_orm_summary(env, [ticket_id for ticket_id, in cr.fetchall()], ('sla_deadline', 'sla_fail_date'))
    # ratings of closed tickets, one in 3.2, given over the year
    cr.execute("""
        INSERT INTO rating_rating (
            res_model_id, res_model, res_id, parent_res_model_id, parent_res_model, parent_res_id,
            helpdesk_team_id, rating, satisfaction, consumed, access_token, create_date, write_date)
        SELECT %(ticket_model)s, 'helpdesk.ticket', t.id, %(team_model)s, 'helpdesk.team', t.team_id,
               t.team_id, 1 + b.n %% 5, CASE WHEN 1 + b.n %% 5 >= 4 THEN 100 ELSE 0 END, true,
               md5(b.n::text || 'bench'), b.created, b.created
          FROM bench_ticket b JOIN helpdesk_ticket t ON t.id = b.ticket_id
         WHERE NOT b.is_open
         ORDER BY b.n
         LIMIT %(count)s
    """, {'ticket_model': env['ir.model']._get_id('helpdesk.ticket'),
          'team_model': env['ir.model']._get_id('helpdesk.team'), 'count': RATINGS})
    rating_count = cr.rowcount
    for table in ('helpdesk_ticket', 'helpdesk_sla_status', 'rating_rating'):
        cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    env.invalidate_all()
    return ticket_count, line_count, rating_count


@contextmanager
def captured_queries(cr):
    """The SELECT queries the block runs, as (query, params)."""
    queries = []
    execute = cr.execute

    def spy(query, params=None, log_exceptions=True):
        if str(query.code if isinstance(query, SQL) else query).lstrip().upper().startswith(('SELECT', 'WITH')):
            queries.append((query, params))
        return execute(query, params, log_exceptions)

    cr.execute = spy
    try:
        yield queries
    finally:
        del cr.execute


def measure(env, function):
    """Best time of ``RUNS`` cold-cache runs of ``function``; its result and queries (last run)."""
    best = float('inf')
    for _run in range(RUNS):
        env.invalidate_all()
        with captured_queries(env.cr) as queries:
            start = time.perf_counter()
            result = function()
            best = min(best, time.perf_counter() - start)
    return best, result, queries


def explain(env, report, label, queries):
    cr = env.cr
    for index, (query, params) in enumerate(queries, 1):
        if isinstance(query, SQL):
            cr.execute(SQL("EXPLAIN (ANALYZE, COSTS OFF) %s", query))
        else:
            cr.execute("EXPLAIN (ANALYZE, COSTS OFF) " + query, params)
        plan = [row[0] for row in cr.fetchall()]
        indexes = sorted(set(INDEX_PATTERN.findall("\n".join(plan))))
        runtime = next((line for line in reversed(plan) if line.startswith('Execution Time')), '')
        report.line(f"{label} query {index}: indexes", ", ".join(indexes) or "(none: sequential scans)", runtime)
        for line in plan:
            print(f"      {line}")
