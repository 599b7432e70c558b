import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.types import UTCDateTime, str_enum, utcnow
from app.events.models import Mode, Series, Session
from app.extensions import db
from app.registration.models import Registration


class AttendanceStatus(enum.StrEnum):
    attended_venue = "attended_venue"  # checked in at the venue
    attended_online = "attended_online"  # in the live room for at least the threshold
    partial = "partial"  # in the live room, below the threshold
    absent = "absent"  # held a place, did not come
    excused = "excused"  # cancelled before the start

    @property
    def attended(self) -> bool:
        return self in (AttendanceStatus.attended_venue, AttendanceStatus.attended_online)


class Attendance(db.Model):
    """出席: one participant in one session. `status` is what counts: the organiser's override
    when there is one, else what check-ins and presence say (`computed_status`)."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        Index("ix_attendance_user_id", "user_id"),
        # covers the per-session counts (GROUP BY mode, status) without reading the table
        Index("ix_attendance_session_status_user", "session_id", "status", "user_id", "mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    #: the place's mode (a person registered online who was let in at the venue is venue)
    mode: Mapped[Mode] = mapped_column(str_enum(Mode, "attendance_mode"))
    status: Mapped[AttendanceStatus] = mapped_column(
        str_enum(AttendanceStatus, "attendance_status")
    )
    computed_status: Mapped[AttendanceStatus] = mapped_column(
        str_enum(AttendanceStatus, "attendance_computed_status")
    )
    #: time in the live room, clipped to the session, tabs and reconnects merged
    online_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    override_status: Mapped[AttendanceStatus | None] = mapped_column(
        str_enum(AttendanceStatus, "attendance_override_status")
    )
    override_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    overridden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[Session] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    registration: Mapped[Registration] = relationship()
    overridden_by: Mapped[User | None] = relationship(foreign_keys=[overridden_by_id])

    @property
    def online_minutes(self) -> int:
        return self.online_seconds // 60


class SessionAttendance(db.Model):
    """Where a session's attendance stands: when it was last computed, and when it became final
    (a set number of hours after the end; after that only `attendance recompute` or an
    organiser's override changes it)."""

    __tablename__ = "attendance_session"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), primary_key=True
    )
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    final_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Certificate(db.Model):
    """修了証: issued once per person and series when the completion rule is met. Anyone with
    the code can check it at its verification URL."""

    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("series_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: 128 random bits, base64url: the verification URL's key
    code: Mapped[str] = mapped_column(String(32), unique=True)
    #: as printed on the certificate (the name may change later)
    name: Mapped[str] = mapped_column(String(200))
    sessions_attended: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: set when attendance was corrected and the rule is no longer met
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    series: Mapped[Series] = relationship()
    user: Mapped[User] = relationship()
