"""The archive of a session, and time spent on its page (never live attendance)."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.types import UTCDateTime, utcnow
from app.events.models import Session
from app.extensions import db


class Archive(db.Model):
    """A session's recording: where it is, until when registered people may watch it, and
    whether venue-registered people may watch it too (online people always may)."""

    __tablename__ = "archive"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), unique=True
    )
    #: as the organiser gave it (only organisers see it) ...
    source_url: Mapped[str] = mapped_column(String(500))
    #: ... and what the page embeds: youtube | vimeo | file
    kind: Mapped[str] = mapped_column(String(10))
    embed_url: Mapped[str] = mapped_column(String(500))
    #: the availability window, set when published
    available_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    available_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    days: Mapped[int] = mapped_column(Integer, default=14)
    venue_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the registered people were mailed (once, whatever happens afterwards)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    session: Mapped[Session] = relationship()

    def is_open(self, now: datetime) -> bool:
        return (
            self.published_at is not None
            and self.available_from is not None
            and self.available_from <= now < self.available_until
        )


class ArchiveInterval(db.Model):
    """One stretch of one tab on the archive page: from its first heartbeat to its last."""

    __tablename__ = "archive_interval"
    __table_args__ = (Index("ix_archive_interval_person", "session_id", "user_id", "tab"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: the page's random id for its tab
    tab: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArchiveViewing(db.Model):
    """A person's archive viewing of one session: the union of their intervals (tabs merged),
    kept current by each heartbeat. The figures, history and exports read this row."""

    __tablename__ = "archive_viewing"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    seconds: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    @property
    def minutes(self) -> int:
        return self.seconds // 60
