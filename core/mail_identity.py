"""Who sent an email, as far as its headers can tell, and how to recognise the same email twice.

Nothing here trusts a display name: identity is the address between angle brackets (or the
bare address). A ``From`` header is parsed here rather than with ``email.utils`` because
lenient parsers read ``customer@x <attacker@y>`` as two mailboxes, the first one being the
customer, which is exactly what a spoofer wants a desk to believe.
"""
import hashlib
import re
from collections import namedtuple
from contextlib import suppress
from datetime import datetime
from email.header import decode_header, make_header

# A sender: ``email`` is the normalised real address (None when there is no single one),
# ``name`` the display name (never used for identity) and ``status`` one of:
#   'ok'       one mailbox, its display name quotes no other address;
#   'spoofed'  one mailbox whose display name holds an address that is not the real one
#              (``"customer@x" <attacker@y>``): the real address is the identity;
#   'multiple' several mailboxes in From: nobody in particular, an unknown sender;
#   'invalid'  no usable address (``The Front Desk``, ``a@b@c``, two angle addresses);
#   'missing'  no From at all.
SenderIdentity = namedtuple('SenderIdentity', ['email', 'name', 'status'])

TRUSTED_STATUSES = frozenset({'ok'})

ADDRESS_PATTERN = re.compile(r"^[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+$")
ANY_ADDRESS_PATTERN = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+")

# the domain of the Message-Ids made up for emails that arrive without one
FALLBACK_MESSAGE_ID_DOMAIN = 'no-message-id.helpdesk-sla.invalid'


def _split_mailboxes(header):
    """Split an address-list on its top-level commas, keeping for each mailbox the
    addresses between angle brackets and the text outside quotes, comments and brackets."""
    mailboxes = []
    angle, outside, current_angle = [], [], None
    in_quote = escaped = False
    comment_depth = 0
    has_content = False

    def close():
        if has_content:
            mailboxes.append((angle, ''.join(outside).strip()))

    for char in header:
        if escaped:
            escaped = False
            if current_angle is not None:
                current_angle.append(char)
            continue
        if char == '\\' and (in_quote or comment_depth):
            escaped = True
            continue
        if in_quote:
            if char == '"':
                in_quote = False
            continue
        if comment_depth:
            if char == '(':
                comment_depth += 1
            elif char == ')':
                comment_depth -= 1
            continue
        if current_angle is not None:
            if char == '>':
                angle.append(''.join(current_angle).strip())
                current_angle = None
            else:
                current_angle.append(char)
            continue
        if char == ',':
            close()
            angle, outside, has_content = [], [], False
            continue
        if not char.isspace():
            has_content = True
        if char == '"':
            in_quote = True
        elif char == '(':
            comment_depth = 1
        elif char == '<':
            current_angle = []
        else:
            outside.append(char)
    if current_angle is not None:  # unterminated angle address: the mailbox is unusable
        angle.append(None)
    close()
    return mailboxes


def _display_name(header):
    """The display name of a single-mailbox header: the text before its angle address,
    its encoded words (RFC 2047) decoded."""
    name = header.split('<', 1)[0].strip() if '<' in header else ''
    if '=?' in name:
        with suppress(ValueError, LookupError, UnicodeError):
            name = str(make_header(decode_header(name)))
    return name.strip('"').strip()


def _normalise(address):
    if not address or not ADDRESS_PATTERN.match(address):
        return None
    return address.lower()


def parse_sender(header):
    """The :data:`SenderIdentity` of a raw ``From`` header (as received: encoded words
    still encoded; a parsed header may already have lost the real address, e.g. Python's
    ``email`` policies read ``customer@x <attacker@y>`` as ``customer@x``). Several
    ``From`` headers are given as a list or tuple: that is several senders."""
    if isinstance(header, (list, tuple)):
        if len(header) > 1:
            return SenderIdentity(None, '', 'multiple')
        header = header[0] if header else ''
    header = re.sub(r'\r?\n[ \t]*', ' ', header or '')
    if not header.strip():
        return SenderIdentity(None, '', 'missing')
    mailboxes = _split_mailboxes(header)
    if len(mailboxes) > 1:
        # a decoded display name with a comma ("Smith, Bob <bob@x>") splits into a part
        # with no address at all: glue such parts to the mailbox that follows
        real = [(angle, outside) for angle, outside in mailboxes
                if angle or ANY_ADDRESS_PATTERN.search(outside)]
        if len(real) != 1:
            return SenderIdentity(None, '', 'multiple')
        mailboxes = real
    if not mailboxes:
        return SenderIdentity(None, header.strip(), 'invalid')
    angle, outside = mailboxes[0]
    if len(angle) > 1 or (angle and angle[0] is None):
        return SenderIdentity(None, '', 'invalid')
    if angle:
        email = _normalise(angle[0])
        if not email:
            return SenderIdentity(None, '', 'invalid')
        name = _display_name(header)
        quoted = {address.lower() for address in ANY_ADDRESS_PATTERN.findall(name)}
        if quoted - {email}:
            return SenderIdentity(email, '', 'spoofed')
        return SenderIdentity(email, name if not quoted else '', 'ok')
    email = _normalise(outside)
    if not email:
        return SenderIdentity(None, outside, 'invalid')
    return SenderIdentity(email, '', 'ok')


def neutralise_addresses(text):
    """``text`` with every address-looking token made unusable as an address (``a@b`` ->
    ``a at b``), to show an unverified From header without anyone being matched to it."""
    return ANY_ADDRESS_PATTERN.sub(lambda match: match.group(0).replace('@', ' at '), text or '')


def normalize_message_id(value):
    """A Message-Id as stored for comparison: the first ``<...>`` token, else the stripped
    value in angle brackets; ``None`` for an empty value."""
    value = (value or '').strip()
    if not value:
        return None
    match = re.search(r'<[^<>\s]+>', value)
    if match:
        return match.group(0)
    return f'<{value.split()[0]}>'


def fallback_message_id(sender, recipients, subject, date, body, received=None, window_minutes=60):
    """A Message-Id for an email that arrived without one, the same for every delivery of
    that email: a hash of its sender, recipients, subject, ``Date`` header and body.

    When the email has no ``Date`` either, ``received`` (a datetime) is rounded down to a
    ``window_minutes`` window and hashed too, so the same text sent again much later still
    counts as a new email (two deliveries on both sides of a window boundary are not
    recognised: a documented limit)."""
    parts = [sender or '', recipients or '', subject or '', (date or '').strip(), body or '']
    if not parts[3]:
        received = received or datetime.utcnow()
        window = int(received.timestamp() // (window_minutes * 60))
        parts.append(f'window:{window}')
    digest = hashlib.sha256('\x1f'.join(parts).encode('utf-8', 'surrogatepass')).hexdigest()[:40]
    return f'<{digest}@{FALLBACK_MESSAGE_ID_DOMAIN}>'


def received_time(received, lower, upper):
    """The time an event from an email counts at: when it was received, clamped to
    ``[lower, upper]`` (the ticket's creation and now); the sender's ``Date`` header never
    enters here."""
    when = received or upper
    if lower and when < lower:
        when = lower
    if upper and when > upper:
        when = upper
    return when
