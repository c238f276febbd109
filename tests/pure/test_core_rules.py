"""The pure rules beside the clock: assignment planning, escalation triggers,
automated-email detection and the shared selections."""
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest

from core import AlwaysOn, WorkSchedule, is_automated_email, plan_assignees, trigger_moment
from core.constants import SLA_STATE_SEVERITY, SLA_STATES, TICKET_PRIORITIES, URGENT_PRIORITY

H = 3600.0
MONDAY = datetime(2025, 1, 6)


# ---------------------------------------------------------------- assignment

def test_random_rotation_serves_everyone_in_turn():
    chosen, pointer = plan_assignees([1, 2, 3], 7, 'randomly', {}, None, {})
    assert chosen == [1, 2, 3, 1, 2, 3, 1]
    assert pointer == 1


def test_random_rotation_continues_after_pointer():
    chosen, pointer = plan_assignees([1, 2, 3], 2, 'randomly', {}, 2, {})
    assert chosen == [3, 1]
    assert pointer == 1


def test_balanced_fills_the_least_loaded_first():
    load = {1: 3, 2: 0, 3: 1}
    chosen, _pointer = plan_assignees([1, 2, 3], 4, 'balanced', load, None, {})
    # 2 is alone at 0; then 2 and 3 tie at 1 and take turns after the last one served
    assert chosen == [2, 3, 2, 3]
    assert load == {1: 3, 2: 2, 3: 3}


def test_agents_away_are_skipped():
    chosen, _pointer = plan_assignees([1, 2], 3, 'randomly', {}, None, {1: MONDAY})
    assert chosen == [2, 2, 2]


def test_everybody_away_the_first_back_share_the_tickets():
    away = {1: MONDAY + timedelta(days=2), 2: MONDAY + timedelta(days=1), 3: MONDAY + timedelta(days=1)}
    chosen, _pointer = plan_assignees([1, 2, 3], 4, 'randomly', {}, None, away)
    assert chosen == [2, 3, 2, 3]


def test_empty_pool_assigns_nobody():
    assert plan_assignees([], 3, 'balanced', {}, 5, {}) == ([], 5)


# ---------------------------------------------------------------- escalation triggers

@pytest.fixture(scope="module")
def office():
    days = [MONDAY + timedelta(days=n) for n in range(14)]
    return WorkSchedule([(day.replace(hour=9), day.replace(hour=17)) for day in days if day.weekday() < 5])


@pytest.mark.parametrize(("kind", "value", "expected"), [
    ('consumed_pct', 50, MONDAY.replace(hour=11)),
    ('consumed_pct', 100, MONDAY.replace(hour=13)),
    ('consumed_pct', 150, MONDAY.replace(hour=15)),
    ('before_deadline', 1, MONDAY.replace(hour=12)),
    ('after_deadline', 5, MONDAY.replace(day=7, hour=10)),
    ('before_deadline', 10, MONDAY.replace(hour=9)),  # clamped at the clock start
])
def test_trigger_moment_on_business_hours(office, kind, value, expected):
    start = MONDAY.replace(hour=9)
    assert trigger_moment(kind, value, start, 4 * H, 0.0)(office) == expected


def test_trigger_moment_counts_pauses(office):
    start = MONDAY.replace(hour=9)
    assert trigger_moment('consumed_pct', 100, start, 4 * H, 2 * H)(office) == MONDAY.replace(hour=15)


def test_trigger_moment_all_day():
    start = MONDAY.replace(hour=22)
    assert trigger_moment('after_deadline', 2, start, 4 * H, 0.0)(AlwaysOn()) == MONDAY.replace(day=7, hour=4)


# ---------------------------------------------------------------- automated email

def _message(**headers):
    message = EmailMessage()
    for name, value in headers.items():
        message[name.replace('_', '-')] = value
    return message


@pytest.mark.parametrize("headers", [
    {'Auto_Submitted': 'auto-replied'},
    {'Auto_Submitted': 'auto-generated; owner-email="x@example.com"'},
    {'X_Autoreply': 'yes'},
    {'X_Autorespond': 'Out of office'},
    {'Precedence': 'bulk'},
    {'Precedence': ' Junk '},
    {'Precedence': 'auto_reply'},
])
def test_automated_email(headers):
    assert is_automated_email(_message(**headers))


@pytest.mark.parametrize("headers", [{}, {'Auto_Submitted': 'no'}, {'Precedence': 'first-class'}])
def test_person_email(headers):
    assert not is_automated_email(_message(**headers))


def test_plain_mapping_works_too():
    assert is_automated_email({'Auto-Submitted': 'auto-replied'})
    assert not is_automated_email({})


# ---------------------------------------------------------------- constants

def test_shared_selections():
    assert [key for key, _label in TICKET_PRIORITIES] == ['0', '1', '2', '3']
    assert URGENT_PRIORITY == '3'
    assert sorted(SLA_STATE_SEVERITY) == sorted(state for state, _label in SLA_STATES)
    assert SLA_STATE_SEVERITY.index('failed') > SLA_STATE_SEVERITY.index('warning') > \
        SLA_STATE_SEVERITY.index('ongoing') > SLA_STATE_SEVERITY.index('reached')
