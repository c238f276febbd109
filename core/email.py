"""Telling mail sent by a program from mail written by a person."""

AUTOMATED_PRECEDENCES = {'auto_reply', 'bulk', 'junk'}


def is_automated_email(headers):
    """Whether an email was sent by a program, not a person, from its ``headers`` (any
    mapping with ``get``, e.g. an ``email.message.Message``): ``Auto-Submitted`` other than
    ``no`` (RFC 3834: auto-replies, auto-generated mail), the ``X-Autoreply`` /
    ``X-Autorespond`` headers of older responders, or a bulk/junk/auto_reply
    ``Precedence``."""
    auto_submitted = str(headers.get('Auto-Submitted') or '').split(';')[0].strip().lower()
    if auto_submitted and auto_submitted != 'no':
        return True
    if headers.get('X-Autoreply') or headers.get('X-Autorespond'):
        return True
    return str(headers.get('Precedence') or '').strip().lower() in AUTOMATED_PRECEDENCES
