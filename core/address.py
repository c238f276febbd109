"""What a typed-in email address must look like to be used as a customer's address."""

# characters no bare address contains: display names, lists, quoting, comments, routes
FORBIDDEN = set(' \t\r\n<>()[]\\,;:"')


def is_single_address(text):
    """Whether ``text`` is exactly one bare address ``local@domain``: one ``@``, a local
    part and a dotted domain whose labels are letters, digits or inner hyphens (Unicode
    letters allowed), and nothing else: no display name, no second address, no quoting.

    ``a@b@c``, ``Name <a@b.c>``, ``a@b.c, d@e.f`` and ``a@localhost`` are refused."""
    if not text or FORBIDDEN.intersection(text) or text.count('@') != 1:
        return False
    local, domain = text.split('@')
    if not local or local.startswith('.') or local.endswith('.') or '..' in local:
        return False
    labels = domain.split('.')
    if len(labels) < 2:
        return False
    return all(
        label and label.replace('-', '').isalnum() and not label.startswith('-') and not label.endswith('-')
        for label in labels
    )


def strip_subaddress(address):
    """The mailbox an address delivers to without its ``+tag`` (``ann+1@x.com`` ->
    ``ann@x.com``): plus-addressing gives one person as many addresses as they like."""
    local, _sep, domain = address.rpartition('@')
    if not _sep:
        return address
    return f"{local.split('+', 1)[0] or local}@{domain}"
