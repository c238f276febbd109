"""Take the screenshots of the README and of static/description/index.html from a running
Odoo with the helpdesk_sla demo data, in headless Chromium driven through the Chrome
DevTools protocol (websocket-client). It starts no Odoo: tools/screenshots.sh does.

    python tools/screenshots.py --url http://127.0.0.1:8069 --db helpdesk_sla
    python tools/screenshots.py --url ... --db ... --only dashboard,portal

Logs in as the administrator (admin / admin) for the backend and as the demo portal
user (portal / portal) for the portal, and saves PNG files into static/description/.
A page that shows an error dialog or the login form fails the run; so does a file
over the size limit after compression.
"""
import argparse
import base64
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

ROOT = Path(__file__).resolve().parent.parent
CHROME_NAMES = ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable')
CHROME_FLAGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-extensions', '--disable-default-apps', '--disable-dev-shm-usage',
    '--hide-scrollbars', '--mute-audio', '--force-device-scale-factor=1', '--lang=en-US',
    '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0',
]
WIDTH, HEIGHT = 1440, 900
MAX_BYTES = 300 * 1024

# JavaScript conditions
NO_ERROR_JS = """(() => {
    const dialog = document.querySelector('.o_error_dialog, .o_dialog .modal-header.bg-danger');
    return dialog ? 'error dialog: ' + dialog.closest('.modal, .o_dialog, body').innerText.slice(0, 300) : '';
})()"""
BUSY_JS = """!!document.querySelector('.o_loading_indicator, .o_blockUI, .o_view_nocontent_loading')
    || document.readyState !== 'complete'"""


class ShotError(Exception):
    pass


# ------------------------------------------------------------
# Chromium through the DevTools protocol
# ------------------------------------------------------------

class Chromium:
    """A headless Chromium with one page, driven through the DevTools protocol."""

    def __init__(self, executable, timeout=60):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix='helpdesk_sla_shots_')
        self.process = subprocess.Popen(
            [executable, *CHROME_FLAGS, f'--user-data-dir={self.profile}',
             f'--window-size={WIDTH},{HEIGHT}', 'about:blank'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port = self._devtools_port()
        targets = json.load(urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list', timeout=10))
        page = next(target for target in targets if target['type'] == 'page')
        self.ws = websocket.create_connection(page['webSocketDebuggerUrl'], timeout=timeout,
                                              suppress_origin=True)
        self.ids = itertools.count(1)
        self.send('Page.enable')
        self.send('Runtime.enable')
        self.send('Emulation.setDeviceMetricsOverride',
                  width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False)

    def _devtools_port(self):
        port_file = Path(self.profile, 'DevToolsActivePort')
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if port_file.is_file() and port_file.stat().st_size > 5:
                return int(port_file.read_text().splitlines()[0])
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.close()
        raise ShotError("Chromium did not open its DevTools port")

    def send(self, method, **params):
        message_id = next(self.ids)
        self.ws.send(json.dumps({'id': message_id, 'method': method, 'params': params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get('id') == message_id:
                if 'error' in message:
                    raise ShotError(f"{method}: {message['error']}")
                return message.get('result', {})

    def evaluate(self, expression, await_promise=False):
        result = self.send('Runtime.evaluate', expression=expression, returnByValue=True,
                           awaitPromise=await_promise)
        if 'exceptionDetails' in result:
            details = result['exceptionDetails']
            raise ShotError(f"JavaScript error: {details.get('exception', {}).get('description') or details}")
        return result['result'].get('value')

    def wait_for(self, expression, what, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            error = self.evaluate(NO_ERROR_JS)
            if error:
                raise ShotError(f"while waiting for {what}: {error}")
            if self.evaluate(expression):
                return
            time.sleep(0.25)
        raise ShotError(f"timed out waiting for {what} on {self.evaluate('location.href')}")

    def navigate(self, url):
        self.send('Page.navigate', url=url)
        time.sleep(0.5)
        self.wait_for("document.readyState === 'complete'", f"the page {url}")

    def click(self, selector, what):
        self.wait_for(f"!!document.querySelector({json.dumps(selector)})", what)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def settle(self, seconds=1.5):
        """Wait until Odoo shows no loading sign, then let rendering and fonts finish."""
        self.wait_for(f"!({BUSY_JS})", "the page to finish loading")
        self.evaluate("document.fonts.ready.then(() => true)", await_promise=True)
        time.sleep(seconds)
        self.wait_for(f"!({BUSY_JS})", "the page to finish loading")

    def resize(self, width, height):
        self.send('Emulation.setDeviceMetricsOverride',
                  width=width, height=height, deviceScaleFactor=1, mobile=False)

    def screenshot(self):
        self.evaluate("document.activeElement && document.activeElement.blur()")
        result = self.send('Page.captureScreenshot', format='png', captureBeyondViewport=False)
        return base64.b64decode(result['data'])

    def clear_session(self):
        self.send('Network.clearBrowserCookies')

    def close(self):
        try:
            if getattr(self, 'ws', None):
                self.ws.close()
        finally:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


# ------------------------------------------------------------
# Odoo
# ------------------------------------------------------------

class Odoo:
    """The Odoo under test, seen through the browser's session."""

    def __init__(self, browser, url, db):
        self.browser = browser
        self.url = url.rstrip('/')
        self.db = db

    def login(self, login, password, landing):
        self.browser.clear_session()
        self.browser.navigate(f'{self.url}/web/login?db={self.db}')
        self.browser.wait_for("!!document.querySelector('form.oe_login_form input[name=login]')",
                              "the login form")
        self.browser.evaluate(f"""(() => {{
            const form = document.querySelector('form.oe_login_form');
            form.querySelector('input[name=login]').value = {json.dumps(login)};
            form.querySelector('input[name=password]').value = {json.dumps(password)};
            form.submit();
        }})()""")
        time.sleep(1)
        self.browser.wait_for("document.readyState === 'complete' && !location.pathname.startsWith('/web/login')"
                              " || !!document.querySelector('.oe_login_form .alert-danger')", "the login")
        if self.browser.evaluate("location.pathname.startsWith('/web/login')"):
            raise ShotError(f"cannot log in as {login!r} on database {self.db!r}")
        self.browser.navigate(self.url + landing)

    def call(self, model, method, *args, **kwargs):
        payload = json.dumps({'jsonrpc': '2.0', 'method': 'call', 'id': 1, 'params': {
            'model': model, 'method': method, 'args': list(args), 'kwargs': kwargs}})
        response = self.browser.evaluate(f"""fetch('/web/dataset/call_kw/{model}/{method}', {{
            method: 'POST', headers: {{'Content-Type': 'application/json'}}, body: {json.dumps(payload)},
        }}).then((response) => response.json())""", await_promise=True)
        if response.get('error'):
            raise ShotError(f"{model}.{method}: {response['error'].get('data', {}).get('message')}")
        return response['result']

    def xmlid(self, xmlid):
        """The database id of a record of helpdesk_sla (or False)."""
        module, name = xmlid.split('.')
        rows = self.call('ir.model.data', 'search_read', [('module', '=', module), ('name', '=', name)],
                         fields=['res_id'], limit=1)
        return rows and rows[0]['res_id']


# ------------------------------------------------------------
# The screenshots
# ------------------------------------------------------------

VIEW_READY = ".o_action_manager .o_view_controller"


def backend(odoo, path, ready):
    browser = odoo.browser
    browser.navigate(odoo.url + path)
    browser.wait_for(f"!!document.querySelector({json.dumps(ready)})", f"{ready} on {path}")
    if browser.evaluate("!!document.querySelector('.o_view_sample_data')"):
        raise ShotError(f"{path} shows sample data: the demo data is missing")
    browser.settle()


def expand_groups(odoo):
    """Open the folded groups of a grouped list, one at a time."""
    for _index in range(10):
        if not odoo.browser.evaluate("""(() => {
            const header = document.querySelector('.o_group_header:not(.o_group_open)');
            if (header) { header.click(); return true; }
            return false;
        })()"""):
            break
        time.sleep(0.5)
        odoo.browser.settle(0.3)


def shot_dashboard(odoo, ids):
    backend(odoo, '/odoo/action-helpdesk_sla.helpdesk_team_dashboard_action', '.o_kanban_view .o_kanban_record')


def shot_tickets_kanban(odoo, ids):
    """The open tickets of a team, from its card on the overview."""
    shot_dashboard(odoo, ids)
    odoo.browser.evaluate("""(() => {
        const card = [...document.querySelectorAll('.o_kanban_record')]
            .find((record) => record.innerText.includes('Technical Support'));
        card.querySelector('button[name=action_view_tickets]').click();
    })()""")
    odoo.browser.wait_for("!!document.querySelector('.o_kanban_view .o_kanban_group .o_kanban_record')",
                          "the team's tickets")
    odoo.browser.settle()


def shot_ticket_list(odoo, ids):
    backend(odoo, '/odoo/action-helpdesk_sla.helpdesk_ticket_action_all',
            '.o_list_view .o_data_row .o_sla_countdown')


def shot_ticket(odoo, ids):
    backend(odoo, f"/odoo/action-helpdesk_sla.helpdesk_ticket_action_all/{ids['ticket_urgent']}",
            '.o_form_view .o_sla_countdown')
    odoo.browser.wait_for("!!document.querySelector('.o-mail-Message')", "the conversation")
    odoo.browser.click(".o_notebook .nav-link[name='sla']", "the SLA tab")
    odoo.browser.wait_for("!!document.querySelector('.o_notebook .tab-pane.active .o_data_row')", "the SLA lines")
    odoo.browser.settle()


def shot_my_queue(odoo, ids):
    backend(odoo, '/odoo/action-helpdesk_sla.helpdesk_ticket_action_queue',
            '.o_list_view .o_data_row .o_sla_countdown')


def shot_sla_matrix(odoo, ids):
    """The SLA matrix of a team, opened from the team's form."""
    shot_team(odoo, ids)
    odoo.browser.click("button.oe_stat_button:has(.fa-table)", "the SLA Matrix button")
    odoo.browser.wait_for("!!document.querySelector('.modal .o_helpdesk_sla_matrix .o_data_row')", "the matrix")
    odoo.browser.settle()


def shot_sla_policies(odoo, ids):
    backend(odoo, '/odoo/action-helpdesk_sla.helpdesk_sla_action', '.o_list_view .o_group_header')
    expand_groups(odoo)


def shot_sla_policy(odoo, ids):
    backend(odoo, f"/odoo/action-helpdesk_sla.helpdesk_sla_action/{ids['sla_policy']}",
            ".o_form_view .o_field_widget[name='time_basis']")


def shot_team(odoo, ids):
    backend(odoo, f"/odoo/action-helpdesk_sla.helpdesk_team_action/{ids['team_technical']}",
            ".o_form_view .o_field_widget[name='resource_calendar_id']")


def shot_ratings(odoo, ids):
    backend(odoo, '/odoo/action-helpdesk_sla.rating_rating_action_helpdesk', VIEW_READY)


def shot_sla_report(odoo, ids):
    backend(odoo, '/odoo/action-helpdesk_sla.helpdesk_sla_report_analysis_action?view_type=pivot',
            '.o_pivot_view .o_pivot')


def shot_ticket_report(odoo, ids):
    backend(odoo, '/odoo/action-helpdesk_sla.helpdesk_ticket_report_analysis_action?view_type=pivot',
            '.o_pivot_view .o_pivot')


def shot_escalation_rules(odoo, ids):
    backend(odoo, '/odoo/action-helpdesk_sla.helpdesk_escalation_rule_action', VIEW_READY)


def portal(odoo, path, ready):
    browser = odoo.browser
    browser.navigate(odoo.url + path)
    browser.wait_for(f"!!document.querySelector({json.dumps(ready)})", f"{ready} on {path}")
    if browser.evaluate("!!document.querySelector('form.oe_login_form')"):
        raise ShotError(f"{path} shows the login form")
    browser.settle(1.0)


def shot_portal(odoo, ids):
    portal(odoo, '/my/tickets', "table a[href^='/my/tickets/']")


CHATTER_READY_JS = """(() => {
    const root = document.querySelector('#chatterRoot');
    return !!(root && root.shadowRoot && root.shadowRoot.querySelector('.o-mail-Message'));
})()"""


def shot_portal_ticket(odoo, ids):
    portal(odoo, f"/my/tickets/{ids['ticket_portal']}", '.o_portal_chatter')
    odoo.browser.wait_for(CHATTER_READY_JS, "the portal conversation")
    odoo.browser.settle()


def shot_web_form(odoo, ids):
    portal(odoo, f"/helpdesk/{ids['team_technical']}/submit", "form input[name='name'], form input[name='subject']")


# name -> (audience, function, the helpdesk_sla actions it needs: skipped while one is missing, viewport)
SHOTS = {
    'dashboard': ('admin', shot_dashboard, ['helpdesk_team_dashboard_action'], None),
    'tickets_kanban': ('admin', shot_tickets_kanban, ['helpdesk_ticket_action'], None),
    'ticket_list': ('admin', shot_ticket_list, ['helpdesk_ticket_action_all'], None),
    'my_queue': ('admin', shot_my_queue, ['helpdesk_ticket_action_queue'], None),
    'ticket': ('admin', shot_ticket, ['helpdesk_ticket_action_all'], (1440, 900)),
    'sla_policies': ('admin', shot_sla_policies, ['helpdesk_sla_action'], None),
    'sla_policy': ('admin', shot_sla_policy, ['helpdesk_sla_action'], None),
    'sla_matrix': ('admin', shot_sla_matrix, ['helpdesk_sla_matrix_action'], None),
    'team': ('admin', shot_team, ['helpdesk_team_action'], None),
    'escalation_rules': ('admin', shot_escalation_rules, ['helpdesk_escalation_rule_action'], None),
    'sla_report': ('admin', shot_sla_report, ['helpdesk_sla_report_analysis_action'], None),
    'ticket_report': ('admin', shot_ticket_report, ['helpdesk_ticket_report_analysis_action'], None),
    'ratings': ('admin', shot_ratings, ['rating_rating_action_helpdesk'], None),
    'portal': ('portal', shot_portal, [], None),
    'portal_ticket': ('portal', shot_portal_ticket, [], None),
    'web_form': ('portal', shot_web_form, [], None),
}


def demo_ids(odoo):
    """Ids of the demo records the shots show, looked up as the administrator."""
    urgent = odoo.call('helpdesk.ticket', 'search_read',
                       [('priority', '=', '3'), ('is_closed', '=', False), ('sla_deadline', '!=', False)],
                       fields=['id'], order='id', limit=1)
    ids = {
        'team_technical': odoo.xmlid('helpdesk_sla.team_technical'),
        'sla_policy': odoo.xmlid('helpdesk_sla.sla_technical_urgent_resolution'),
        'ticket_portal': odoo.xmlid('helpdesk_sla.ticket_portal_01'),
        'ticket_urgent': urgent and urgent[0]['id'],
        'agent_partner': odoo.call('res.users', 'read', [odoo.xmlid('helpdesk_sla.user_agent_lena')],
                                   ['partner_id'])[0]['partner_id'][0],
    }
    missing = [name for name, value in ids.items() if not value]
    if missing:
        raise ShotError(f"demo records not found ({', '.join(missing)}): is helpdesk_sla installed with demo data?")
    return ids


# (ticket key, author: 'customer' or 'agent', body) posted once, in this order, before the shots
CONVERSATIONS = [
    ('ticket_urgent', 'customer',
     "Hello, we paid the invoice by bank transfer on Monday (our reference NW-5521), but it still shows "
     "as unpaid and this morning we received a payment reminder. Could you check it urgently?"),
    ('ticket_portal', 'customer',
     "Hi, our VAT number changed when we moved: it is now BE0477472701. Could you send a corrected invoice?"),
    ('ticket_portal', 'agent',
     "Hello Joel, thanks for the new number. I have updated your company and I am asking accounting for "
     "a corrected invoice; you will have it by tomorrow."),
]


def stage_conversations(odoo, ids):
    """Give the tickets shown a short, real conversation, posted through the mail thread
    (an agent reply reaches the first response SLA, as in real life)."""
    for key, author, body in CONVERSATIONS:
        ticket = odoo.call('helpdesk.ticket', 'read', [ids[key]], ['partner_id'])[0]
        if odoo.call('mail.message', 'search_count', [('model', '=', 'helpdesk.ticket'),
                                                      ('res_id', '=', ids[key]), ('body', 'ilike', body[:40])]):
            continue
        author_id = ticket['partner_id'][0] if author == 'customer' else ids['agent_partner']
        odoo.call('helpdesk.ticket', 'message_post', [ids[key]], body=body, author_id=author_id,
                  message_type='comment', subtype_xmlid='mail.mt_comment')


def save_png(data, path):
    """Write the PNG, quantized to a palette when it is over the size limit."""
    if len(data) > MAX_BYTES:
        from PIL import Image  # Odoo's own requirements bring Pillow

        image = Image.open(io.BytesIO(data)).convert('RGB')
        buffer = io.BytesIO()
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            buffer, format='PNG', optimize=True)
        data = buffer.getvalue()
    if len(data) > MAX_BYTES:
        raise ShotError(f"{path.name} is {len(data) // 1024} KB, over the {MAX_BYTES // 1024} KB limit")
    path.write_bytes(data)
    return len(data)


def find_chrome(path):
    if path:
        return path
    for name in CHROME_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ShotError("no Chromium found: install Debian's chromium package (apt-get install chromium)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--url', default=os.environ.get('ODOO_URL', 'http://127.0.0.1:8069'))
    parser.add_argument('--db', default=os.environ.get('HELPDESK_SLA_DB', 'helpdesk_sla'))
    parser.add_argument('--login', default='admin')
    parser.add_argument('--password', default='admin')
    parser.add_argument('--portal-login', default='portal')
    parser.add_argument('--portal-password', default='portal')
    parser.add_argument('--out', type=Path, default=ROOT / 'static' / 'description')
    parser.add_argument('--only', help="comma-separated names among: " + ", ".join(SHOTS))
    parser.add_argument('--chrome', help="the Chromium executable (default: found in PATH)")
    args = parser.parse_args()

    wanted = args.only.split(',') if args.only else list(SHOTS)
    unknown = set(wanted) - set(SHOTS)
    if unknown:
        parser.error(f"unknown screenshots: {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    failures = []
    browser = Chromium(find_chrome(args.chrome))
    try:
        odoo = Odoo(browser, args.url, args.db)
        odoo.login(args.login, args.password, '/odoo')
        ids = demo_ids(odoo)
        stage_conversations(odoo, ids)
        for audience in ('admin', 'portal'):
            if audience == 'portal':
                odoo.login(args.portal_login, args.portal_password, '/my')
            for name in wanted:
                shot_audience, function, actions, viewport = SHOTS[name]
                if shot_audience != audience:
                    continue
                if audience == 'admin' and not all(odoo.xmlid(f'helpdesk_sla.{action}') for action in actions):
                    print(f"skipped  screenshot_{name}.png: helpdesk_sla.{actions[0]} is not installed")
                    continue
                path = args.out / f'screenshot_{name}.png'
                browser.resize(*(viewport or (WIDTH, HEIGHT)))
                try:
                    function(odoo, ids)
                    size = save_png(browser.screenshot(), path)
                except ShotError as error:
                    failures.append(name)
                    print(f"FAILED   {path.name}: {error}")
                    continue
                print(f"saved    {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
                      f"({size // 1024} KB)")
    except ShotError as error:
        print(f"FAILED: {error}")
        return 1
    finally:
        browser.close()
    if failures:
        print(f"{len(failures)} screenshot(s) failed: {', '.join(failures)}")
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
