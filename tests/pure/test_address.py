"""Addresses typed into the web form."""
import pytest

from core.address import is_single_address, strip_subaddress


@pytest.mark.parametrize('text', [
    'ann@example.com', 'ann.lee+helpdesk@mail.example.co.uk', 'o\'brien@example.ie',
    'josé@exemple.fr', 'a@b-c.de', 'x_y%z@example.org',
])
def test_single_addresses_are_accepted(text):
    assert is_single_address(text)


@pytest.mark.parametrize('text', [
    '', 'a@b@c', 'a@b@c.com', '"a@b"@c.com', 'Ann <ann@example.com>', 'ann@example.com, bob@example.com',
    'ann@example.com;bob@example.com', 'ann@localhost', 'ann@', '@example.com', 'ann@example..com',
    'ann@-example.com', 'ann@example-.com', '.ann@example.com', 'ann.@example.com', 'an..n@example.com',
    'ann @example.com', 'ann@exa mple.com', 'ann@[127.0.0.1]', 'ann@example.com\n',
])
def test_everything_else_is_refused(text):
    assert not is_single_address(text)


@pytest.mark.parametrize('address, mailbox', [
    ('ann+1@example.com', 'ann@example.com'),
    ('ann+a+b@example.com', 'ann@example.com'),
    ('ann@example.com', 'ann@example.com'),
    ('+tag@example.com', '+tag@example.com'),
])
def test_strip_subaddress(address, mailbox):
    assert strip_subaddress(address) == mailbox
