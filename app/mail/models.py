"""The mail queue's table."""

import enum
from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.types import UTCDateTime, str_enum, utcnow
from app.extensions import db


class MailStatus(enum.StrEnum):
    queued = "queued"  #: waiting for its next attempt
    sending = "sending"  #: claimed by a drainer (claimed again when its lease runs out)
    sent = "sent"  #: accepted by the SMTP server (or written to the log without MAIL_SERVER)
    failed = "failed"  #: given up; `flask mail retry` queues it again


class OutgoingMail(db.Model):
    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    #: stored attachments {"filename", "mimetype", "data" (base64)} and deferred ones
    #: {"deferred": kind, "params": {...}}, built when the mail is sent (app.mail.attachments)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[MailStatus] = mapped_column(
        str_enum(MailStatus, "mail_status"), default=MailStatus.queued, server_default="queued"
    )
    #: attempts started so far (counted when a drainer claims the row)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: when it may be tried next; while `sending`, when the claim lapses
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutgoingMail {self.id} {self.status.value} attempts={self.attempts}>"
