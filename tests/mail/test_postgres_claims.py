"""On PostgreSQL a drainer skips rows another drainer holds instead of waiting for them."""

import os

import pytest
from sqlalchemy import select

from app.extensions import db
from app.mail import queue, send_mail
from app.mail.models import MailStatus, OutgoingMail

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        os.environ.get("KAKAWARI_TEST_DB") != "postgresql",
        reason="SKIP LOCKED is PostgreSQL's",
    ),
]


def test_a_row_locked_by_another_drainer_is_skipped_not_waited_for(app, ctx, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "worker")
    for i in range(3):
        send_mail(f"p{i}@example.jp", "件名", "本文")
    db.session.commit()
    first = db.session.scalars(select(OutgoingMail.id).order_by(OutgoingMail.id)).first()
    with db.engine.connect() as other:  # another drainer, in the middle of its claim
        other.execute(
            select(OutgoingMail.id).where(OutgoingMail.id == first).with_for_update()
        ).all()
        with app.app_context():
            result = queue.drain()  # would block here without SKIP LOCKED
        assert result.sent == 2
        other.rollback()
    assert sorted(m["To"] for m in smtp) == ["p1@example.jp", "p2@example.jp"]
    db.session.expire_all()
    assert db.session.get(OutgoingMail, first).status is MailStatus.queued
