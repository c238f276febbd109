"""Bounded load and fault run of helpdesk_sla against a prefork Odoo it starts on the loopback.

    bash tools/loadtest.sh [--db NAME] [--mails 100] [--dup-share 0.2] [--backlog 100] [--seconds 180]

What it does, on a fresh database it creates (and drops afterwards unless --keep-db):

1. installs helpdesk_sla (no demo data) and starts Odoo in prefork mode on a free port of
   127.0.0.1: ``--workers 3 --max-cron-threads 1`` (3 HTTP workers, a cron worker);
2. mail storm: ``--mails`` deliveries through XML-RPC ``mail.thread.message_process`` (model
   helpdesk.ticket, as odoo-mailgate makes them), ``--concurrency`` at a time; a share
   (``--dup-share``) of the Message-Ids is delivered twice at the same moment (an MTA retry
   after a timeout, two fetchers on one mailbox). A failed delivery is retried up to 3 times,
   as an MTA would;
3. agents vs cron: ``--agents`` agents write stage and priority of the storm's tickets
   (XML-RPC ``write``) while the escalation cron runs over the storm's due SLA lines
   (for ``--agent-seconds`` at least);
4. two crons on one backlog: ``--backlog`` more tickets, then the escalation cron and a copy
   of it started at the same moment, as two cron workers would;
5. prints throughput, latencies and error counts, and checks the invariants:
   tickets = distinct Message-Ids delivered, every Message-Id stored once, escalation logs
   unique per (rule, SLA line), no due SLA line left unescalated, no agent write refused.

Bounded: counts are capped, the load phases stop at ``--seconds`` (at most 300; the storm
sends for at most 45 % of it, what it could not send is reported), each call has a timeout,
and the server is stopped whatever happens. Loopback only: the server
listens on 127.0.0.1 and the tool talks to nothing else. Exit status 1 when an invariant fails.
"""

import argparse
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import psycopg2

HOST = '127.0.0.1'
MAX_SECONDS = 300
MAX_MAILS = 2000
MAX_BACKLOG = 2000
CALL_TIMEOUT = 300  # seconds, one XML-RPC call (a cron pass runs inside one)
DELIVERY_ATTEMPTS = 3
STORM_SHARE = 0.45  # of the time budget, for the mail storm
# SLA targets short enough for the run: first response in 18 s, resolution in 36 s, 24/7;
# escalation level 1 at half the time, level 2 (priority raised) at the deadline
RESPONSE_HOURS = 0.005
RESOLUTION_HOURS = 0.01


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout):
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


class Odoo:
    """XML-RPC to the local server, one proxy per call (proxies are not thread-safe)."""

    def __init__(self, port, db):
        self.url = f'http://{HOST}:{port}'
        self.db = db
        self.users = {}  # login -> (uid, password)

    def proxy(self, endpoint):
        return xmlrpc.client.ServerProxy(f'{self.url}/xmlrpc/2/{endpoint}', allow_none=True,
                                         transport=TimeoutTransport(CALL_TIMEOUT))

    def login(self, login, password):
        uid = self.proxy('common').authenticate(self.db, login, password, {})
        if not uid:
            raise SystemExit(f"cannot log in as {login}")
        self.users[login] = (uid, password)
        return uid

    def call(self, login, model, method, args, kwargs=None):
        uid, password = self.users[login]
        return self.proxy('object').execute_kw(self.db, uid, password, model, method, args, kwargs or {})

    def xmlid(self, login, module, name):
        rows = self.call(login, 'ir.model.data', 'search_read',
                         [[('module', '=', module), ('name', '=', name)]], {'fields': ['res_id']})
        return rows[0]['res_id']


class Server:
    """Odoo in prefork mode on the loopback, its log in a file; stopped on exit."""

    def __init__(self, args, port):
        self.args = args
        self.port = port
        handle, self.log = tempfile.mkstemp(prefix='helpdesk_sla_loadtest_', suffix='.log')
        os.close(handle)
        self.process = None

    def odoo_cmd(self, *extra):
        return [sys.executable, os.path.join(self.args.odoo_home, 'odoo-bin'),
                f'--addons-path={self.args.addons_path}', '-d', self.args.db, f'--db-filter=^{self.args.db}$',
                f'--http-interface={HOST}', '--smtp=127.0.0.1', f'--smtp-port={free_port()}', *extra]

    def install(self):
        cmd = self.odoo_cmd('-i', 'helpdesk_sla', '--stop-after-init', '--max-cron-threads=0',
                            f'--http-port={free_port()}', '--log-level=warn', f'--logfile={self.log}.install')
        subprocess.run(cmd, check=True, timeout=1800)

    def start(self):
        cmd = self.odoo_cmd(f'--http-port={self.port}', f'--gevent-port={free_port()}',
                            '--workers=3', '--max-cron-threads=1',
                            '--limit-time-cpu=240', f'--limit-time-real={CALL_TIMEOUT}',
                            '--limit-memory-soft=1610612736', '--limit-memory-hard=2147483648',
                            '--log-level=info', f'--logfile={self.log}',
                            # XML-RPC is what odoo-mailgate and most integrations speak: its
                            # deprecation notice would be one WARNING line per call
                            '--log-handler=odoo.addons.rpc.controllers.xmlrpc:ERROR')
        self.process = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"Odoo exited at start; see {self.log}")
            try:
                xmlrpc.client.ServerProxy(f'http://{HOST}:{self.port}/xmlrpc/2/common').version()
                return
            except (ConnectionError, OSError, xmlrpc.client.Error):
                time.sleep(0.5)
        raise SystemExit(f"Odoo did not answer on {HOST}:{self.port} within 120 s; see {self.log}")

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server, its workers, nothing else
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)

    def log_problems(self):
        """Counts of the server log's ERROR and WARNING lines, by logger and first words."""
        counts = Counter()
        with open(self.log, encoding='utf-8', errors='replace') as log:
            for line in log:
                match = re.match(r'\S+ \S+ \d+ (ERROR|WARNING|CRITICAL) \S+ (\S+): (.{0,70})', line)
                if match:
                    counts[f"{match[1]} {match[2]}: {match[3].strip()}"] += 1
        return counts


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = []
        self.errors = Counter()
        self.calls = 0

    def record(self, started, error=None):
        with self.lock:
            self.calls += 1
            self.latencies.append(time.monotonic() - started)
            if error is not None:
                self.errors[error] += 1

    def summary(self):
        if not self.latencies:
            return "no call"
        ordered = sorted(self.latencies)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        return (f"{self.calls} calls, {sum(self.errors.values())} errors, latency median "
                f"{statistics.median(ordered):.2f} s, p95 {p95:.2f} s, max {ordered[-1]:.2f} s")


def fault_name(exc):
    if isinstance(exc, xmlrpc.client.Fault):
        text = str(exc.faultString).strip().splitlines()
        return f"Fault: {text[-1][:100] if text else exc.faultCode}"
    return f"{type(exc).__name__}: {str(exc)[:100]}"


class LoadTest:
    def __init__(self, args):
        self.args = args
        self.run_id = f"{int(time.time())}{os.getpid()}"
        self.deadline = None  # set when the load starts
        self.phases_done = {'mail storm': False, 'agents vs cron': False, 'two crons': False}
        self.port = free_port()
        self.server = Server(args, self.port)
        self.odoo = Odoo(self.port, args.db)
        self.figures = []
        self.invariants = []  # (name, ok, detail)
        self.rng = random.Random(args.seed)

    # ------------------------------------------------------------------ helpers

    def left(self):
        return self.deadline - time.monotonic()

    def say(self, text):
        print(f"[{datetime.now():%H:%M:%S}] {text}", flush=True)

    def sql(self, query, params=()):
        cnx = psycopg2.connect(dbname=self.args.db)
        try:
            with cnx.cursor() as cr:
                cr.execute(query, params)
                return cr.fetchall()
        finally:
            cnx.close()

    def check(self, name, ok, detail):
        self.invariants.append((name, ok, detail))

    # ------------------------------------------------------------------ set-up

    def create_database(self):
        subprocess.run(['dropdb', '--if-exists', self.args.db], check=True)
        self.say(f"installing helpdesk_sla into a fresh database {self.args.db} (no demo data)")
        started = time.monotonic()
        self.server.install()
        self.say(f"installed in {time.monotonic() - started:.0f} s")

    def set_up_data(self):
        odoo, admin = self.odoo, 'admin'
        odoo.login(admin, 'admin')
        # no outgoing mail in this run; the escalation crons are only started by this tool
        odoo.call(admin, 'ir.cron', 'write', [[odoo.xmlid(admin, 'mail', 'ir_cron_mail_scheduler_action')],
                                              {'active': False}])
        self.cron_id = odoo.xmlid(admin, 'helpdesk_sla', 'ir_cron_helpdesk_escalation')
        far = '2099-01-01 00:00:00'
        odoo.call(admin, 'ir.cron', 'write', [[self.cron_id], {'nextcall': far}])
        # the escalation engine runs on the SLA lines (helpdesk.sla.status), like the addon's own cron
        model_id = odoo.call(admin, 'ir.model', 'search', [[('model', '=', 'helpdesk.sla.status')]])[0]
        self.cron_2_id = odoo.call(admin, 'ir.cron', 'create', [{
            'name': "Load test: a second escalation worker", 'model_id': model_id, 'state': 'code',
            'code': 'model._cron_escalate()', 'interval_number': 15, 'interval_type': 'minutes', 'nextcall': far}])
        group_id = odoo.xmlid(admin, 'helpdesk_sla', 'group_helpdesk_user')
        self.agents = []
        for index in range(self.args.agents):
            login = f'loadtest_agent_{index}'
            odoo.call(admin, 'res.users', 'create', [{
                'name': f"Load Agent {index}", 'login': login, 'password': login + '_pw',
                'email': f'{login}@loadtest.example.com', 'group_ids': [(6, 0, [group_id])]}])
            odoo.login(login, login + '_pw')
            self.agents.append(login)
        agent_ids = [odoo.users[login][0] for login in self.agents]
        stage_ids = [odoo.call(admin, 'helpdesk.stage', 'create', [{'name': name, 'sequence': seq, 'fold': fold}])
                     for name, seq, fold in (("Load New", 1, False), ("Load In Progress", 2, False),
                                             ("Load Waiting", 3, False), ("Load Solved", 10, True))]
        self.stage_ids = stage_ids
        self.team_id = odoo.call(admin, 'helpdesk.team', 'create', [{
            'name': "Load Desk", 'member_ids': [(6, 0, agent_ids)], 'stage_ids': [(6, 0, stage_ids)],
            'assign_method': 'balanced', 'use_sla': True, 'privacy_visibility': 'internal'}])
        odoo.call(admin, 'helpdesk.sla', 'create', [[{
            'name': "Load: respond", 'team_id': self.team_id, 'target_type': 'first_response',
            'time': RESPONSE_HOURS, 'time_basis': 'always', 'exclude_stage_ids': [(6, 0, [stage_ids[2]])],
        }, {
            'name': "Load: resolve", 'team_id': self.team_id, 'target_type': 'resolution',
            'stage_id': stage_ids[3], 'time': RESOLUTION_HOURS, 'time_basis': 'always',
            'exclude_stage_ids': [(6, 0, [stage_ids[2]])],
        }]])
        odoo.call(admin, 'helpdesk.escalation.rule', 'create', [[{
            'name': "Load: level 1 at half time", 'sequence': 1, 'team_ids': [(6, 0, [self.team_id])],
            'trigger_type': 'consumed_pct', 'trigger_value': 50.0, 'mark_escalated': True,
        }, {
            'name': "Load: level 2 at the deadline", 'sequence': 2, 'team_ids': [(6, 0, [self.team_id])],
            'trigger_type': 'consumed_pct', 'trigger_value': 100.0, 'raise_priority': True,
        }]])

    # ------------------------------------------------------------------ 1. mail storm

    def message(self, index):
        msg = EmailMessage()
        msg['From'] = f"Load Customer {index} <customer-{index}@loadtest.example.com>"
        msg['To'] = "support@loadtest.example.com"
        msg['Subject'] = f"Load mail {self.run_id}-{index}"
        msg['Message-Id'] = f"<loadtest-{self.run_id}-{index}@loadtest.example.com>"
        msg['Date'] = format_datetime(datetime.now(UTC))
        msg.set_content(f"Customer {index} needs help.\n")
        return msg.as_string()

    def deliver(self, index, stats, barrier=None):
        """One MTA delivery of mail ``index``, retried like an MTA; True once accepted."""
        raw = self.message(index)
        if barrier is not None:
            barrier.wait(timeout=60)
        for attempt in range(DELIVERY_ATTEMPTS):
            started = time.monotonic()
            try:
                self.odoo.call('admin', 'mail.thread', 'message_process', ['helpdesk.ticket', raw],
                               {'custom_values': {'team_id': self.team_id}})
            except (xmlrpc.client.Error, OSError) as exc:
                stats.record(started, fault_name(exc))
                if attempt + 1 < DELIVERY_ATTEMPTS and self.left() > 0:
                    time.sleep(1 + attempt)
                    continue
                return False
            stats.record(started)
            return True
        return False

    def mail_storm(self):
        args = self.args
        duplicated = set(self.rng.sample(range(args.mails), int(args.mails * args.dup_share)))
        self.say(f"1. mail storm: {args.mails} Message-Ids, {len(duplicated)} of them delivered twice at once, "
                 f"{args.concurrency} deliveries at a time")
        stats = Stats()
        delivered, attempted = set(), set()
        lock = threading.Lock()

        storm_ends = time.monotonic() + STORM_SHARE * self.left()  # the rest is for phases 2 and 3

        def job(index):
            if time.monotonic() > storm_ends:
                return
            with lock:
                attempted.add(index)
            if index in duplicated:
                barrier = threading.Barrier(2)
                results = []
                twin = threading.Thread(target=lambda: results.append(self.deliver(index, stats, barrier)))
                twin.start()
                ok = self.deliver(index, stats, barrier)
                twin.join()
                ok = ok or any(results)
            else:
                ok = self.deliver(index, stats)
            if ok:
                with lock:
                    delivered.add(index)

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            list(pool.map(job, range(args.mails)))
        elapsed = time.monotonic() - started
        self.storm_delivered = delivered
        self.phases_done['mail storm'] = bool(delivered)
        self.storm_seconds = elapsed
        self.figures.append(f"mail storm: {stats.calls} deliveries in {elapsed:.1f} s "
                            f"({stats.calls / elapsed:.1f}/s); {stats.summary()}")
        for error, count in stats.errors.most_common(5):
            self.figures.append(f"  delivery error x{count}: {error}")
        self.figures.append(f"  Message-Ids accepted {len(delivered)} of {len(attempted)} sent "
                            f"({args.mails - len(attempted)} not sent: time budget)")
        prefix = f'<loadtest-{self.run_id}-%'
        rows = self.sql("""SELECT t.id FROM helpdesk_ticket t WHERE t.team_id = %s AND t.name LIKE %s""",
                        (self.team_id, f"Load mail {self.run_id}-%"))
        self.storm_ticket_ids = [row[0] for row in rows]
        tickets_per_mid = self.sql(
            """SELECT m.message_id, COUNT(DISTINCT m.res_id), COUNT(*) FROM mail_message m
                WHERE m.model = 'helpdesk.ticket' AND m.message_id LIKE %s GROUP BY m.message_id""", (prefix,))
        stored = {mid for mid, _tickets, _messages in tickets_per_mid}
        extra_tickets = sum(tickets - 1 for _mid, tickets, _messages in tickets_per_mid)
        extra_messages = sum(messages - 1 for _mid, _tickets, messages in tickets_per_mid)
        self.check("tickets = distinct Message-Ids delivered", len(rows) == len(delivered),
                   f"{len(rows)} tickets for {len(delivered)} Message-Ids ({extra_tickets} duplicate tickets)")
        self.check("every Message-Id stored exactly once", len(stored) == len(delivered) and not extra_messages,
                   f"{len(stored)} Message-Ids stored, {extra_messages} stored more than once")
        self.check("no delivery lost (after MTA-style retries)", delivered == attempted,
                   f"{len(attempted - delivered)} Message-Ids sent but never accepted")

    # ------------------------------------------------------------------ 2. agents vs cron

    def agents_vs_cron(self):
        tickets = self.storm_ticket_ids
        if not tickets:
            return
        wait = self.due_wait(tickets)
        self.say(f"2. agents vs cron: waiting {wait:.0f} s for the storm's SLA lines to be due, then "
                 f"{len(self.agents)} agents write while the escalation cron runs")
        time.sleep(max(0.0, min(wait, self.left())))
        due = self.due_lines(tickets)
        stats = Stats()
        cron_done = threading.Event()
        cron_result = {}

        writes_until = time.monotonic() + self.args.agent_seconds

        def agent(login):
            rng = random.Random(f"{self.args.seed}-{login}")
            while (not cron_done.is_set() or time.monotonic() < writes_until) and self.left() > 0:
                ticket_id = rng.choice(tickets)
                values = ({'priority': rng.choice('0123')} if rng.random() < 0.5
                          else {'stage_id': rng.choice(self.stage_ids[:3])})
                started = time.monotonic()
                try:
                    self.odoo.call(login, 'helpdesk.ticket', 'write', [[ticket_id], values])
                except (xmlrpc.client.Error, OSError) as exc:
                    stats.record(started, fault_name(exc))
                else:
                    stats.record(started)

        def cron():
            started = time.monotonic()
            try:
                self.odoo.call('admin', 'ir.cron', 'method_direct_trigger', [[self.cron_id]])
                if self.odoo.call('admin', 'ir.cron', 'read', [[self.cron_id], ['failure_count']])[0]['failure_count']:
                    cron_result['error'] = 'job failed'
            except (xmlrpc.client.Error, OSError) as exc:
                cron_result['error'] = fault_name(exc)
            cron_result['seconds'] = time.monotonic() - started
            cron_done.set()

        threads = [threading.Thread(target=agent, args=(login,)) for login in self.agents]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        cron_thread = threading.Thread(target=cron)
        cron_thread.start()
        cron_thread.join()
        for thread in threads:
            thread.join()
        logs = self.sql("SELECT COUNT(*) FROM helpdesk_escalation_log l JOIN helpdesk_ticket t ON t.id = l.ticket_id "
                        "WHERE t.id = ANY(%s)", (tickets,))[0][0]
        self.figures.append(f"agents vs cron: {due} SLA lines due; cron pass {cron_result.get('seconds', 0):.1f} s"
                            f"{' (' + cron_result['error'] + ')' if 'error' in cron_result else ''}, "
                            f"{logs} escalations; agents: {stats.summary()}")
        for error, count in stats.errors.most_common(5):
            self.figures.append(f"  agent error x{count}: {error}")
        self.phases_done['agents vs cron'] = stats.calls > 0 and 'seconds' in cron_result
        self.check("no agent write refused while the cron runs", not stats.errors,
                   f"{sum(stats.errors.values())} of {stats.calls} writes failed")
        self.check("the cron pass itself succeeded", 'error' not in cron_result, cron_result.get('error', "ok"))

    def due_wait(self, ticket_ids):
        """Seconds until every open SLA line of ``ticket_ids`` has its first escalation due."""
        latest = self.sql("""SELECT MAX(escalation_due_date) FROM helpdesk_sla_status
                              WHERE ticket_id = ANY(%s) AND reached_datetime IS NULL""", (ticket_ids,))[0][0]
        if latest is None:
            return 0.0
        return (latest - datetime.now(UTC).replace(tzinfo=None)).total_seconds() + 1

    def due_lines(self, ticket_ids, at=None):
        at = at or datetime.now(UTC).replace(tzinfo=None)
        return self.sql("""SELECT COUNT(*) FROM helpdesk_sla_status
                            WHERE ticket_id = ANY(%s) AND escalation_due_date <= %s""", (ticket_ids, at))[0][0]

    # ------------------------------------------------------------------ 3. two crons, one backlog

    def two_crons(self):
        count = self.args.backlog
        if count <= 0 or self.left() <= 0:
            return
        self.say(f"3. two crons on one backlog: {count} tickets, then two escalation crons at the same moment")
        ticket_ids = []
        for start in range(0, count, 50):
            ticket_ids += self.odoo.call('admin', 'helpdesk.ticket', 'create', [[
                {'name': f"Load backlog {self.run_id}-{index}", 'team_id': self.team_id}
                for index in range(start, min(start + 50, count))]])
        time.sleep(max(0.0, min(self.due_wait(ticket_ids), self.left())))
        all_ids = ticket_ids + self.storm_ticket_ids
        barrier = threading.Barrier(2)
        results = {}
        cut = datetime.now(UTC).replace(tzinfo=None)
        due = self.due_lines(all_ids, cut)

        def cron(cron_id):
            barrier.wait(timeout=60)
            started = time.monotonic()
            try:
                self.odoo.call('admin', 'ir.cron', 'method_direct_trigger', [[cron_id]])
                # a job that raises is logged and counted by Odoo, not returned to the caller
                failed = self.odoo.call('admin', 'ir.cron', 'read', [[cron_id], ['failure_count']])[0]['failure_count']
                results[cron_id] = (time.monotonic() - started, 'job failed' if failed else None)
            except (xmlrpc.client.Error, OSError) as exc:
                results[cron_id] = (time.monotonic() - started, fault_name(exc))

        threads = [threading.Thread(target=cron, args=(cron_id,)) for cron_id in (self.cron_id, self.cron_2_id)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        left_due = self.due_lines(all_ids, cut - timedelta(seconds=1))
        self.phases_done['two crons'] = len(results) == 2
        logs = self.sql("SELECT COUNT(*) FROM helpdesk_escalation_log WHERE ticket_id = ANY(%s)", (all_ids,))[0][0]
        passes = ", ".join(f"{seconds:.1f} s{' (' + error + ')' if error else ''}"
                           for seconds, error in results.values())
        self.figures.append(f"two crons: {due} SLA lines due; passes {passes}; {logs} escalations in all; "
                            f"{left_due} due lines left")
        self.check("no due SLA line left unescalated by the two crons", left_due == 0,
                   f"{left_due} of {due} lines still due")
        self.check("both cron passes succeeded", all(error is None for _s, error in results.values()), passes)

    # ------------------------------------------------------------------ checks

    def final_checks(self):
        doubles = self.sql("""SELECT COUNT(*) FROM (SELECT 1 FROM helpdesk_escalation_log
                               GROUP BY rule_id, sla_status_id HAVING COUNT(*) > 1) AS doubled""")[0][0]
        self.check("escalation logs unique per (rule, SLA line)", doubles == 0, f"{doubles} (rule, line) pairs doubled")

    def report(self):
        print("\n== helpdesk_sla load test: figures")
        for line in self.figures:
            print(line)
        problems = self.server.log_problems()
        print(f"server log: {sum(problems.values())} ERROR/WARNING lines ({self.server.log})")
        for problem, count in problems.most_common(8):
            print(f"  x{count} {problem}")
        print("== invariants")
        for name, ok, detail in self.invariants:
            print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
        return all(ok for _name, ok, _detail in self.invariants)

    def run(self):
        self.create_database()
        try:
            self.server.start()
            self.say(f"Odoo in prefork mode on {HOST}:{self.port} (3 HTTP workers, 1 cron worker)")
            self.set_up_data()
            self.deadline = time.monotonic() + self.args.seconds  # the budget covers the load phases
            started = time.monotonic()
            self.mail_storm()
            self.agents_vs_cron()
            self.two_crons()
            self.final_checks()
            self.figures.append(f"load phases: {time.monotonic() - started:.0f} s (budget {self.args.seconds} s)")
            self.check("each phase did its work", all(self.phases_done.values()),
                       ", ".join(f"{phase}: {'yes' if done else 'no (time budget)'}"
                                 for phase, done in self.phases_done.items()))
        finally:
            self.server.stop()
            if not self.args.keep_db:
                subprocess.run(['dropdb', '--if-exists', self.args.db], check=False)
        return self.report()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--odoo-home', required=True)
    parser.add_argument('--addons-path', required=True)
    parser.add_argument('--db', default='helpdesk_sla_loadtest',
                        help="database created (dropped first) for the run; its name must contain 'loadtest'")
    parser.add_argument('--mails', type=int, default=100, help=f"distinct Message-Ids (at most {MAX_MAILS})")
    parser.add_argument('--dup-share', type=float, default=0.2, help="share delivered twice at once (0-1)")
    parser.add_argument('--concurrency', type=int, default=8, help="deliveries at a time (at most 32)")
    parser.add_argument('--agents', type=int, default=4, help="agents writing during the cron (at most 16)")
    parser.add_argument('--agent-seconds', type=int, default=15,
                        help="agents write at least this long, and until the cron pass ends")
    parser.add_argument('--backlog', type=int, default=100, help=f"tickets of the two-cron backlog (at most {MAX_BACKLOG})")
    parser.add_argument('--seconds', type=int, default=180, help=f"time budget of the load phases (at most {MAX_SECONDS})")
    parser.add_argument('--seed', type=int, default=15)
    parser.add_argument('--keep-db', action='store_true', help="keep the database for a look afterwards")
    args = parser.parse_args()
    if 'loadtest' not in args.db:
        parser.error("the database is dropped and created: its name must contain 'loadtest'")
    if not (0 < args.mails <= MAX_MAILS and 0 <= args.backlog <= MAX_BACKLOG and 0 < args.seconds <= MAX_SECONDS
            and 0 <= args.dup_share <= 1 and 0 < args.concurrency <= 32 and 0 < args.agents <= 16):
        parser.error("out of bounds: see --help")
    ok = LoadTest(args).run()
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
