"""Outgoing email. With MAIL_SERVER unset (development) the whole message goes to the log."""

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

log = logging.getLogger("kakawari.mail")


def build_message(to: str, subject: str, body: str, attachments=()) -> EmailMessage:
    """attachments: (filename, bytes, "maintype/subtype") tuples."""
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_DEFAULT_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="kakawari.local")
    msg.set_content(body)
    for filename, data, mimetype in attachments:
        maintype, subtype = mimetype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def send_mail(to: str, subject: str, body: str, attachments=()) -> EmailMessage:
    msg = build_message(to, subject, body, attachments)
    cfg = current_app.config
    if cfg.get("MAIL_SUPPRESS"):
        return msg
    if to.lower().endswith(".invalid"):
        # Placeholders (people added without an address, deleted accounts): never deliverable.
        log.info("Mail to a placeholder address not sent: %s", subject)
        return msg
    if not cfg.get("MAIL_SERVER"):
        log.info("Mail (MAIL_SERVER unset, not sent):\n%s", msg.as_string())
        return msg
    smtp_cls = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=15) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(msg)
    return msg
