"""Outgoing email: the one function every area calls. The mail is queued in the caller's
transaction and sent after the commit by the queue's drainer (app/mail/): it goes out only if
the caller commits, and a slow or absent SMTP server never holds up a request."""

from app.mail.queue import enqueue


def send_mail(to: str, subject: str, body: str, attachments=()):
    """Queue a mail; commit to send it. attachments: (filename, bytes, "maintype/subtype")
    tuples, or `app.mail.attachments.Deferred` for files built when the mail is sent.
    Returns False when it is not to be sent (MAIL_SUPPRESS, an `*.invalid` placeholder
    address). With MAIL_SERVER unset the drainer writes the message to the log."""
    return enqueue(to, subject, body, attachments)
