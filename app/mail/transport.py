"""Building a message and handing it to the SMTP server. With MAIL_SERVER unset (development)
the whole message goes to the log instead."""

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

log = logging.getLogger("kakawari.mail")


def build_message(config, to: str, subject: str, body: str, attachments=()) -> EmailMessage:
    """attachments: (filename, bytes, "maintype/subtype") tuples."""
    msg = EmailMessage()
    msg["From"] = config["MAIL_DEFAULT_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="kakawari.local")
    msg.set_content(body)
    for filename, data, mimetype in attachments:
        maintype, subtype = mimetype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def readable(msg: EmailMessage) -> str:
    """Headers, the text as written (not base64) and the attachments' names, for the log."""
    names = [part.get_filename() for part in msg.iter_attachments()]
    return "\n".join(
        [
            *(f"{key}: {value}" for key, value in msg.items() if key != "Content-Type"),
            *([f"Attachments: {', '.join(names)}"] if names else []),
            "",
            msg.get_body(("plain",)).get_content(),
        ]
    )


def is_permanent(exc: Exception) -> bool:
    """A 5xx answer about this very message (recipient, sender or content refused): retrying
    cannot help. A refused login or connection is about the server: retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        return 500 <= exc.smtp_code < 600
    return False


def is_unreachable(exc: Exception) -> bool:
    """The server could not be reached or would not let us in: later messages would fail too."""
    return isinstance(
        exc,
        (
            OSError,
            smtplib.SMTPServerDisconnected,
            smtplib.SMTPConnectError,
            smtplib.SMTPAuthenticationError,
            smtplib.SMTPNotSupportedError,
        ),
    )


class Transport:
    """One SMTP connection for a batch of messages, opened at the first message and opened
    again after the server dropped it. Use as a context manager."""

    def __init__(self, config):
        self.config = config
        self._smtp = None

    def send(self, msg: EmailMessage) -> None:
        cfg = self.config
        if not cfg.get("MAIL_SERVER"):
            log.info("Mail (MAIL_SERVER unset, not sent):\n%s", readable(msg))
            return
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(msg)
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()  # the next message opens a new connection
            raise

    def _connect(self):
        cfg = self.config
        smtp_cls = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
        smtp = smtp_cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_SMTP_TIMEOUT"])
        try:
            if cfg["MAIL_USE_TLS"]:
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        except Exception:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
