"""The mail queue: a request only queues, a drainer sends, a server that is down delays mail
without losing it, and a rolled-back change sends nothing."""

import contextlib
import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from app.core.types import utcnow
from app.extensions import db
from app.mail import queue, send_mail
from app.mail.attachments import Deferred, deferred_builder
from app.mail.delivery import ThreadDrainer
from app.mail.models import MailStatus, OutgoingMail
from tests.conftest import create_user, free_port, login, post_form
from tests.registration.factories import make_series


@pytest.fixture
def worker_mode(app, monkeypatch):
    """Production's setting: nothing is sent in the web process."""
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "worker")


@pytest.fixture
def smtp_down(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    logging.getLogger("kakawari.mail").disabled = False  # Alembic's logging setup turned it off


@contextlib.contextmanager
def smtp_server(handler, port: int):
    """An SMTP server on the port the app is configured for (the `smtp_down` one)."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield
    finally:
        controller.stop()


def mails() -> list[OutgoingMail]:
    db.session.expire_all()
    return db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()


def send_queued(app) -> str:
    result = app.test_cli_runner().invoke(args=["mail", "send-queued"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_registration_only_queues_its_mail_and_the_worker_sends_it(app, world, smtp, worker_mode):
    with app.app_context():
        series = make_series(world["org"], sessions=[("venue", 5, None)])
        create_user("hanako@example.jp")
        series_id = series.id
    client = app.test_client()
    login(client, "hanako@example.jp")
    response = post_form(client, f"/series/{series_id}/register", {"consent": "y"})
    assert response.status_code == 302
    assert smtp == []  # nothing was sent inside the request
    with app.app_context():
        (mail,) = mails()
        assert mail.status is MailStatus.queued and mail.recipient == "hanako@example.jp"
        # the calendar file and the ticket are built by the worker, not the request
        assert [a.get("deferred") for a in mail.attachments] == [
            "registration-calendar",
            "registration-extras",
        ]
        assert not any("data" in a for a in mail.attachments)

    assert "sent 1, to retry 0, failed 0" in send_queued(app)
    (message,) = smtp
    assert message["To"] == "hanako@example.jp"
    types = sorted(p.get_content_type() for p in message.iter_attachments())
    assert types == ["image/png", "text/calendar"]
    with app.app_context():
        (mail,) = mails()
        assert mail.status is MailStatus.sent and mail.attempts == 1 and mail.sent_at
    assert "sent 0" in send_queued(app)  # once only


def test_stored_attachments_travel_through_the_queue(app, ctx, smtp, worker_mode):
    attachments = [("a.txt", b"\x00\x01bytes", "text/plain")]
    send_mail("a@example.jp", "件名", "本文", attachments=attachments)
    db.session.commit()
    queue.drain()
    (message,) = smtp
    (part,) = message.iter_attachments()
    assert part.get_filename() == "a.txt" and part.get_content().encode() == b"\x00\x01bytes"


def test_an_smtp_server_that_is_down_delays_mail_and_loses_none(
    app, ctx, worker_mode, smtp_down, monkeypatch
):
    for i in range(3):
        send_mail(f"p{i}@example.jp", "お知らせ", "本文")
    db.session.commit()
    before = utcnow()
    result = queue.drain()
    assert (result.sent, result.retrying, result.failed) == (0, 3, 0)
    for mail in mails():
        assert mail.status is MailStatus.queued and mail.attempts == 1
        assert "Connection" in mail.last_error or "Errno" in mail.last_error
        assert mail.next_attempt_at >= before + timedelta(seconds=29)  # MAIL_RETRY_SECONDS
    assert queue.drain().claimed == 0  # not due yet: no hammering of a server that is down

    # later still down: the wait doubles
    db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
    db.session.commit()
    before = utcnow()
    queue.drain()
    for mail in mails():
        assert mail.attempts == 2 and mail.next_attempt_at >= before + timedelta(seconds=59)

    # the server is back
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.rcpt_tos)
            return "250 OK"

    with smtp_server(Handler(), app.config["MAIL_PORT"]):
        db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
        db.session.commit()
        assert queue.drain().sent == 3
    assert sorted(r[0] for r in received) == ["p0@example.jp", "p1@example.jp", "p2@example.jp"]
    assert {m.status for m in mails()} == {MailStatus.sent}


def test_after_the_last_attempt_a_mail_is_failed_and_the_admin_sees_it(
    app, ctx, worker_mode, smtp_down, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    monkeypatch.setitem(app.config, "MAIL_RETRY_SECONDS", 0)
    send_mail("gone@example.jp", "最後のお知らせ", "本文")
    db.session.commit()
    queue.drain()
    queue.drain()
    (mail,) = mails()
    assert mail.status is MailStatus.failed and mail.attempts == 2
    runner = app.test_cli_runner()
    status = runner.invoke(args=["mail", "status"]).output
    assert "failed: 1" in status and f"failed #{mail.id} to gone@example.jp" in status
    assert "最後のお知らせ" in status
    assert "1 mail(s) queued again." in runner.invoke(args=["mail", "retry"]).output
    (mail,) = mails()
    assert mail.status is MailStatus.queued and mail.attempts == 0


def test_a_refused_recipient_fails_at_once(app, ctx, worker_mode, smtp_down):
    class Refusing:
        async def handle_RCPT(self, server, session, envelope, address, options):
            return "550 5.1.1 no such mailbox"

    with smtp_server(Refusing(), app.config["MAIL_PORT"]):
        send_mail("nobody@example.jp", "件名", "本文")
        db.session.commit()
        assert queue.drain().failed == 1
    (mail,) = mails()
    assert mail.status is MailStatus.failed and mail.attempts == 1 and "550" in mail.last_error


def test_a_rolled_back_change_sends_nothing(app, ctx, smtp):
    create_user("kept@example.jp")
    create_user("rolled-back@example.jp")
    send_mail("rolled-back@example.jp", "取り消された申込", "本文")
    db.session.rollback()
    db.session.execute(text("SELECT 1"))
    db.session.commit()  # a later commit in the same session does not revive it
    send_mail("kept@example.jp", "確定した申込", "本文")
    db.session.commit()
    assert [m["To"] for m in smtp] == ["kept@example.jp"]  # inline: sent right after commit
    assert [m.recipient for m in mails()] == ["kept@example.jp"]


def test_a_mail_never_committed_is_not_sent_and_is_reported(app, smtp, caplog):
    logging.getLogger("kakawari.mail").disabled = False
    with caplog.at_level(logging.WARNING, logger="kakawari.mail"), app.app_context():
        send_mail("a@example.jp", "件名", "本文")  # then the code fails before its commit
    assert smtp == [] and "never committed" in caplog.text
    with app.app_context():
        assert mails() == []


def test_placeholder_addresses_and_suppressed_mail_are_not_queued(app, ctx, monkeypatch):
    assert send_mail("manual-1@no-email.invalid", "件名", "本文") is False
    monkeypatch.setitem(app.config, "MAIL_SUPPRESS", True)
    assert send_mail("a@example.jp", "件名", "本文") is False
    db.session.commit()
    assert mails() == []


def test_without_mail_server_the_mail_goes_to_the_log(app, ctx, caplog):
    logging.getLogger("kakawari.mail").disabled = False
    with caplog.at_level(logging.INFO, logger="kakawari.mail"):
        send_mail("a@example.jp", "ログだけ", "本文です")
        db.session.commit()
    assert "MAIL_SERVER unset" in caplog.text and "a@example.jp" in caplog.text
    (mail,) = mails()
    assert mail.status is MailStatus.sent


def test_a_mail_whose_drainer_died_is_sent_again_when_its_lease_lapses(app, ctx, smtp, worker_mode):
    send_mail("a@example.jp", "件名", "本文")
    db.session.commit()
    assert queue.claim(10)  # a drainer took it and died before sending
    assert queue.drain().claimed == 0  # held while the lease runs
    db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
    db.session.commit()
    assert queue.drain().sent == 1
    assert len(smtp) == 1 and mails()[0].attempts == 2


def test_a_deferred_attachment_that_cannot_be_built_is_retried(app, ctx, smtp, worker_mode):
    calls = []

    @deferred_builder("test-flaky")
    def _flaky(n):
        calls.append(n)
        if len(calls) == 1:
            raise RuntimeError("not yet")
        return [("n.txt", str(n).encode(), "text/plain")]

    send_mail("a@example.jp", "件名", "本文", attachments=[Deferred("test-flaky", {"n": 7})])
    db.session.commit()
    assert queue.drain().retrying == 1
    db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
    db.session.commit()
    assert queue.drain().sent == 1
    (part,) = smtp[0].iter_attachments()
    assert part.get_content() == "7"


def test_two_drains_at_once_never_send_a_mail_twice(app, ctx, smtp, worker_mode, monkeypatch):
    """SQLite: the claim is one UPDATE under the write lock; PostgreSQL: SKIP LOCKED."""
    monkeypatch.setitem(app.config, "MAIL_BATCH_SIZE", 5)
    for i in range(60):
        send_mail(f"p{i}@example.jp", "件名", "本文")
    db.session.commit()
    results, errors = [], []

    def drain():
        try:
            with app.app_context():
                results.append(queue.drain())
        except Exception as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)

    threads = [threading.Thread(target=drain) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sum(r.sent for r in results) == 60
    recipients = [m["To"] for m in smtp]
    assert len(recipients) == len(set(recipients)) == 60


def test_the_thread_mode_sends_in_the_background(app, ctx, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "thread")
    drainer = ThreadDrainer(app)
    monkeypatch.setitem(app.extensions, "mail_drainer", drainer)
    drainer.ensure_running()
    try:
        send_mail("a@example.jp", "裏で送る", "本文")
        db.session.commit()  # wakes the thread
        deadline = time.monotonic() + 10
        while not smtp and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        drainer.stop()
    assert [m["Subject"] for m in smtp] == ["裏で送る"]
