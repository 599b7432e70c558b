import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.types import UTCDateTime, utcnow
from app.extensions import db


class Role(enum.StrEnum):
    """Roles in an organisation, weakest first. Staff only scan and check people in."""

    staff = "staff"
    organizer = "organizer"
    owner = "owner"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: "Role") -> bool:
        return self.rank >= Role(other).rank

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.staff: _l("Staff (check-in)"),
    Role.organizer: _l("Organiser"),
    Role.owner: _l("Owner"),
}

#: the day-before reminder's default time, 18:00 Japan time
DEFAULT_REMINDER_MINUTE = 18 * 60

role_enum = Enum(Role, name="org_role", native_enum=False, length=20, validate_strings=True)


class Organization(db.Model):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 主催団体名, e.g. しまね関係人口ラボ
    name: Mapped[str] = mapped_column(String(120))
    #: when the day-before reminder goes out: minutes after midnight, Asia/Tokyo (18:00 = 1080)
    day_before_reminder_minute: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_REMINDER_MINUTE, server_default=str(DEFAULT_REMINDER_MINUTE)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="org", cascade="all, delete-orphan"
    )

    @property
    def day_before_reminder_time(self) -> str:
        """The day-before reminders' time as people read and type it: "18:00"."""
        hours, minutes = divmod(self.day_before_reminder_minute, 60)
        return f"{hours:02d}:{minutes:02d}"

    def __repr__(self) -> str:
        return f"<Organization {self.id}>"


class Membership(db.Model):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(role_enum)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Organization] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


class Invitation(db.Model):
    """An emailed invitation to join an organisation; accepted by the person with that email."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(role_enum)
    #: SHA-256 of the secret in the emailed link
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organization] = relationship()
    invited_by: Mapped[User | None] = relationship()

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > utcnow()
