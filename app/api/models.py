"""The API's own table: the answers to requests sent with an Idempotency-Key."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.types import UTCDateTime, utcnow
from app.extensions import db


class IdempotencyKey(db.Model):
    """The answer to the first request a caller sent with a key; a retry with the same key and
    the same request gets it again instead of creating twice (app.api.idempotency). Written in
    the transaction of what the request created: a request that failed left no row."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the caller: keys are theirs alone
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    #: SHA-256 of the method, path and body: the same key for another request is refused
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: the first answer, replayed
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: after this the key is forgotten (24 hours)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
