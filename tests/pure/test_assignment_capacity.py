"""Agent capacity and the waiting queue (helpdesk.team.agent_capacity)."""
from datetime import datetime

from core import plan_assignees, queue_order

MONDAY = datetime(2026, 3, 2, 9, 0)


def test_capacity_caps_every_agent_and_leaves_the_rest():
    load = {}
    chosen, pointer = plan_assignees([1, 2], 6, 'randomly', load, None, {}, capacity=2)
    assert chosen == [1, 2, 1, 2]
    assert load == {1: 2, 2: 2}
    assert pointer == 2


def test_capacity_counts_tickets_already_open():
    load = {1: 3, 2: 1}
    chosen, _pointer = plan_assignees([1, 2], 5, 'balanced', load, None, {}, capacity=3)
    assert chosen == [2, 2]


def test_no_capacity_means_no_limit():
    chosen, _pointer = plan_assignees([1], 5, 'randomly', {1: 40}, None, {})
    assert chosen == [1] * 5


def test_capacity_with_time_off():
    load = {1: 0, 2: 0}
    chosen, _pointer = plan_assignees([1, 2], 4, 'balanced', load, None, {1: MONDAY}, capacity=2)
    assert chosen == [2, 2], "the agent away gets nothing, the other one up to the capacity"


def test_capacity_when_everybody_is_away():
    chosen, _pointer = plan_assignees([1, 2], 3, 'randomly', {}, None, {1: MONDAY, 2: MONDAY}, capacity=1)
    assert chosen == [1, 2]


def test_queue_order_oldest_first_then_priority_within_the_minute():
    tickets = [
        ('late', datetime(2026, 3, 2, 9, 1, 5), '3'),
        ('low', datetime(2026, 3, 2, 9, 0, 1), '0'),
        ('high', datetime(2026, 3, 2, 9, 0, 50), '2'),
        ('first', datetime(2026, 3, 2, 8, 59, 59), '0'),
    ]
    assert queue_order(tickets) == ['first', 'high', 'low', 'late']
