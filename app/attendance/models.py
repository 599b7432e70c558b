import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.types import UTCDateTime, str_enum, utcnow
from app.core.versioning import Versioned
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


class Attendance(Versioned, db.Model):
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


#: the counts a final session keeps: (place mode, status) -> its column of SessionFigures
COUNT_COLUMNS = {(m, s): f"{m.value}_{s.value}" for m in Mode for s in AttendanceStatus}


class SessionFigures(db.Model):
    """A final session's figures, kept with its attendance (app/attendance/figures.py) so that
    dashboards and reports need not count its records: made when the session becomes final,
    changed with every correction and rebuild in the same unit of work. A session without a
    row (not final yet) is counted from its records."""

    __tablename__ = "session_figures"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), primary_key=True
    )
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    #: the 年度 of the session's start when its figures were made: the PersonFigures rows
    #: its records are counted in
    year: Mapped[int] = mapped_column(Integer)
    #: of the people who attended `cohort_session_id` (the series' first session that took
    #: place when this was counted), how many attended this one; None: not counted
    retained: Mapped[int | None] = mapped_column(Integer)
    cohort_session_id: Mapped[int | None] = mapped_column(Integer)


for (_mode, _status), _column in COUNT_COLUMNS.items():
    #: records with this place mode and status
    setattr(
        SessionFigures,
        _column,
        mapped_column(_column, Integer, default=0, server_default="0", nullable=False),
    )


class PersonFigures(db.Model):
    """One person's attendance in one series within one 年度, summed over the final sessions
    counted in it (SessionFigures.year): a row for everyone with a record in one of them,
    attended or not, so that a correction only ever changes numbers."""

    __tablename__ = "person_figures"
    __table_args__ = (Index("ix_person_figures_user_id", "user_id"),)

    series_id: Mapped[int] = mapped_column(
        ForeignKey("series.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    #: sessions attended at the venue, and online
    venue: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    online: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


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
