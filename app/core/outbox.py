"""Claiming an outbox's due rows (mail, webhook deliveries) for one sender."""

from datetime import datetime, timedelta

from sqlalchemy import Select, update

from app.extensions import db


def claim_due(model, due: Select, *, sending, now: datetime, lease: timedelta) -> list[int]:
    """Mark the rows `due` selects (their ids, with a limit) `sending` until now + lease and
    count the attempt; their ids, committed. A row another sender holds is skipped (SKIP LOCKED
    on PostgreSQL; SQLite's write lock elsewhere), never waited for or taken twice."""
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True, of=model)
    db.session.commit()  # a fresh transaction: on SQLite the UPDATE takes the write lock
    ids = db.session.scalars(
        update(model)
        .where(model.id.in_(due.scalar_subquery()))
        .values(status=sending, attempts=model.attempts + 1, next_attempt_at=now + lease)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(ids)
