"""Sender identity from a From header, Message-Ids for emails without one, received times."""
from datetime import datetime, timedelta

import pytest

from core.mail_identity import (
    fallback_message_id,
    neutralise_addresses,
    normalize_message_id,
    parse_sender,
    received_time,
)


@pytest.mark.parametrize(('header', 'email', 'status'), [
    ('carla@customer.example.com', 'carla@customer.example.com', 'ok'),
    ('Carla <CARLA@Customer.Example.com>', 'carla@customer.example.com', 'ok'),
    ('<carla@customer.example.com>', 'carla@customer.example.com', 'ok'),
    ('"Smith, Bob" <bob@x.example>', 'bob@x.example', 'ok'),
    ('Smith, Bob <bob@x.example>', 'bob@x.example', 'ok'),  # a decoded encoded-word name
    ('bob@x.example (Bob at home)', 'bob@x.example', 'ok'),
    ('"bob@x.example" <BOB@x.example>', 'bob@x.example', 'ok'),
    # the display name claims someone else: the real address is who wrote
    ('customer@x.example <attacker@y.example>', 'attacker@y.example', 'spoofed'),
    ('"customer@x.example" <attacker@y.example>', 'attacker@y.example', 'spoofed'),
    ('Customer (customer@x.example) <attacker@y.example>', 'attacker@y.example', 'spoofed'),
    # several senders: nobody in particular
    ('customer@x.example, attacker@y.example', None, 'multiple'),
    ('Customer <customer@x.example>, <attacker@y.example>', None, 'multiple'),
    # no usable address
    ('Bob <bob@x.example> <evil@y.example>', None, 'invalid'),
    ('Bob <bob@x.example', None, 'invalid'),
    ('The Front Desk', None, 'invalid'),
    ('a@b@c', None, 'invalid'),
    ('', None, 'missing'),
    (None, None, 'missing'),
    # raw headers: encoded display names, folding, several From headers
    ('=?utf-8?q?customer=40x=2Eexample?= <attacker@y.example>', 'attacker@y.example', 'spoofed'),
    ('=?utf-8?q?Carla_Ruiz?= <carla@c.example>', 'carla@c.example', 'ok'),
    ('Carla Ruiz\r\n <carla@c.example>', 'carla@c.example', 'ok'),
    (['carla@c.example', 'attacker@y.example'], None, 'multiple'),
    (['carla@c.example'], 'carla@c.example', 'ok'),
])
def test_parse_sender(header, email, status):
    identity = parse_sender(header)
    assert (identity.email, identity.status) == (email, status)


def test_display_name_is_kept_apart_from_identity():
    assert parse_sender('"Carla Ruiz" <carla@c.example>').name == "Carla Ruiz"
    assert parse_sender('customer@x.example <attacker@y.example>').name == ''


def test_neutralised_addresses_match_nobody():
    text = neutralise_addresses('customer@x.example, attacker@y.example')
    assert '@' not in text
    assert 'customer at x.example' in text


def test_normalize_message_id():
    assert normalize_message_id('  <abc@host>  ') == '<abc@host>'
    assert normalize_message_id('garbage <abc@host> trailer') == '<abc@host>'
    assert normalize_message_id('abc@host') == '<abc@host>'
    assert normalize_message_id('') is None


def test_fallback_message_id_is_stable_per_email():
    args = ('carla@c.example', 'desk@d.example', 'Printer', 'Mon, 6 Jan 2025 10:00:00 +0000', 'body')
    first = fallback_message_id(*args)
    assert first == fallback_message_id(*args)
    assert first.startswith('<') and first.endswith('.invalid>')
    assert first != fallback_message_id(*args[:4], 'other body')
    assert first != fallback_message_id('mallory@m.example', *args[1:])


def test_fallback_message_id_without_date_uses_a_window():
    args = ('carla@c.example', 'desk@d.example', 'Printer', '', 'body')
    noon = datetime(2025, 1, 6, 12, 0)
    assert fallback_message_id(*args, received=noon) == fallback_message_id(*args, received=noon + timedelta(minutes=20))
    assert fallback_message_id(*args, received=noon) != fallback_message_id(*args, received=noon + timedelta(hours=2))


def test_received_time_is_clamped():
    created, now = datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 12)
    assert received_time(datetime(2025, 1, 6, 10), created, now) == datetime(2025, 1, 6, 10)
    assert received_time(datetime(2100, 1, 1), created, now) == now
    assert received_time(datetime(1999, 1, 1), created, now) == created
    assert received_time(None, created, now) == now
