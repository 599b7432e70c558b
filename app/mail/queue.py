"""The queue's rules: what is queued, which drainer sends what, and what happens on failure.

Guarantees: a mail is queued in the caller's transaction (a rolled-back change sends nothing);
two drainers never hold the same row at once (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the
claim is one UPDATE under the database's write lock); a failed attempt is retried after
MAIL_RETRY_SECONDS, doubling up to MAIL_RETRY_MAX_SECONDS, until MAIL_MAX_ATTEMPTS. Delivery
is at least once: a drainer killed between the server's "250 OK" and marking the row sent
leaves it `sending`, and it is sent again when its lease (MAIL_SENDING_LEASE_SECONDS) lapses.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, event, func, insert, select, update
from sqlalchemy.orm import Session

from app.core.outbox import claim_due
from app.core.types import utcnow
from app.extensions import db
from app.mail.attachments import from_stored, to_stored
from app.mail.models import MailStatus, OutgoingMail
from app.mail.transport import Transport, build_message, is_permanent, is_unreachable

log = logging.getLogger("kakawari.mail")

#: the session's info keys: mails waiting for the commit, and "this commit carried mail"
PENDING = "kakawari.mail_pending"
QUEUED_FLAG = "kakawari.mail_queued"


def send_mail(to: str, subject: str, body: str, attachments=()) -> bool:
    """Queue a mail in the current transaction: the rows are written by one INSERT when the
    transaction commits, and dropped if it rolls back; commit to send it. attachments:
    (filename, bytes, "maintype/subtype") tuples, or `app.mail.attachments.Deferred` for files
    built when the mail is sent. False when the mail is not to be sent at all: MAIL_SUPPRESS,
    or a placeholder address (`*.invalid`). With MAIL_SERVER unset the drainer writes the
    message to the log."""
    if current_app.config.get("MAIL_SUPPRESS"):
        return False
    if to.lower().endswith(".invalid"):
        # Placeholders (people added without an address, deleted accounts): never deliverable.
        log.info("Mail to a placeholder address not sent: %s", subject)
        return False
    now = utcnow()
    row = {
        "recipient": to,
        "subject": subject,
        "body": body,
        "attachments": to_stored(attachments),
        "status": MailStatus.queued,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback right after this one drops the mail
    session.info.setdefault(PENDING, []).append(row)
    return True


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the mails wait for the whole transaction
    rows = session.info.pop(PENDING, None)
    if rows:
        # the table's INSERT, not the ORM's bulk one: plain rows, no objects to track (cheaper)
        session.connection().execute(insert(OutgoingMail.__table__), rows)
        session.info[QUEUED_FLAG] = True


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction) -> None:
    """A transaction that ended without writing its mails (rolled back, closed) drops them."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)
        session.info.pop(QUEUED_FLAG, None)


def retry_delay(attempts: int) -> timedelta:
    """Wait after the attempts-th failed attempt: MAIL_RETRY_SECONDS, doubling, capped."""
    cfg = current_app.config
    seconds = cfg["MAIL_RETRY_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, cfg["MAIL_RETRY_MAX_SECONDS"]))


def claim(limit: int) -> list[int]:
    """Mark up to `limit` due rows `sending` for this drainer and count the attempt; their ids,
    committed. A row another drainer holds is skipped, never waited for or taken twice."""
    now = utcnow()
    due = (
        select(OutgoingMail.id)
        .where(
            OutgoingMail.status.in_([MailStatus.queued, MailStatus.sending]),
            OutgoingMail.next_attempt_at <= now,
        )
        .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
        .limit(limit)
    )
    lease = timedelta(seconds=current_app.config["MAIL_SENDING_LEASE_SECONDS"])
    return claim_due(OutgoingMail, due, sending=MailStatus.sending, now=now, lease=lease)


@dataclass
class DrainResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.failed


def drain(limit: int | None = None) -> DrainResult:
    """Send what is due, batch by batch, until nothing is due (or `limit` rows were tried).
    Runs in an app context of its own (CLI, worker, thread or after a commit). When the SMTP
    server cannot be reached, the rest of the batch is put back for later without trying."""
    cfg = current_app.config
    result = DrainResult()
    with Transport(cfg) as transport:
        while limit is None or result.claimed < limit:
            batch = cfg["MAIL_BATCH_SIZE"] if limit is None else limit - result.claimed
            ids = claim(batch)
            unreachable = None
            for mail_id in ids:
                mail = db.session.get(OutgoingMail, mail_id)
                if unreachable is None:
                    unreachable = _send_one(mail, transport, result)
                else:
                    _failed(mail, unreachable, result)
            if unreachable is not None or len(ids) < batch:
                break
    return result


def _send_one(mail: OutgoingMail, transport: Transport, result: DrainResult):
    """Build and send one mail and record the outcome; the exception when the server could
    not be reached (the rest of the batch need not try)."""
    try:
        attachments = from_stored(mail.attachments)
        msg = build_message(
            current_app.config, mail.recipient, mail.subject, mail.body, attachments
        )
        transport.send(msg)
    except Exception as exc:
        db.session.rollback()  # a builder's half-done work, if any
        _failed(mail, exc, result)
        return exc if is_unreachable(exc) else None
    mail.status = MailStatus.sent
    mail.sent_at = utcnow()
    mail.last_error = None
    result.sent += 1
    db.session.commit()
    return None


def _failed(mail: OutgoingMail, exc: Exception, result: DrainResult) -> None:
    _record_failure(mail, exc)
    if mail.status is MailStatus.failed:
        result.failed += 1
    else:
        result.retrying += 1
    db.session.commit()


def _record_failure(mail: OutgoingMail, exc: Exception) -> None:
    mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if is_permanent(exc) or mail.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        mail.status = MailStatus.failed
        log.error("Mail %s failed for good after %d attempts: %s", mail.id, mail.attempts, exc)
    else:
        mail.status = MailStatus.queued
        mail.next_attempt_at = utcnow() + retry_delay(mail.attempts)
        log.warning("Mail %s not sent (attempt %d), retrying: %s", mail.id, mail.attempts, exc)


# --- for the site administrator (flask mail ...) ------------------------------------------------


def status_counts() -> dict[MailStatus, int]:
    rows = db.session.execute(
        select(OutgoingMail.status, func.count()).group_by(OutgoingMail.status)
    ).all()
    return {status: 0 for status in MailStatus} | dict(rows)


def oldest_waiting() -> datetime | None:
    """When the oldest mail not yet sent was queued."""
    return db.session.scalar(
        select(func.min(OutgoingMail.created_at)).where(
            OutgoingMail.status.in_([MailStatus.queued, MailStatus.sending])
        )
    )


def failed_mails(limit: int = 50) -> list[OutgoingMail]:
    return db.session.scalars(
        select(OutgoingMail)
        .where(OutgoingMail.status == MailStatus.failed)
        .order_by(OutgoingMail.id.desc())
        .limit(limit)
    ).all()


def retry_failed(ids=None) -> int:
    """Queue failed mails again (all, or these ids) with a fresh count of attempts. The caller
    commits."""
    stmt = update(OutgoingMail).where(OutgoingMail.status == MailStatus.failed)
    if ids:
        stmt = stmt.where(OutgoingMail.id.in_(ids))
    count = db.session.execute(
        stmt.values(status=MailStatus.queued, attempts=0, next_attempt_at=utcnow())
    ).rowcount
    return count


def purge_sent(older_than: timedelta) -> int:
    """Delete sent mails (they hold names and links) once they are this old. The caller
    commits."""
    count = db.session.execute(
        delete(OutgoingMail).where(
            OutgoingMail.status == MailStatus.sent, OutgoingMail.sent_at < utcnow() - older_than
        )
    ).rowcount
    return count
