"""Viewer grants and their emailed invitations."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.types import UTCDateTime, utcnow
from app.extensions import db
from app.orgs.models import Organization


class ViewerGrant(db.Model):
    """The right to see an organisation's programme as aggregates: given to an organisation
    (its owners and organisers see it) or to one person. Revoked, never deleted (the security
    log points at who saw what)."""

    __tablename__ = "viewer_grant"
    __table_args__ = (
        CheckConstraint(
            "(viewer_org_id IS NULL) <> (viewer_user_id IS NULL)", name="ck_viewer_grant_one"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the organisation whose programme is seen
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    #: who sees it: an organisation (e.g. 島根県) ...
    viewer_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    #: ... or one person
    viewer_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organization] = relationship(foreign_keys=[org_id])
    viewer_org: Mapped[Organization | None] = relationship(foreign_keys=[viewer_org_id])
    viewer_user: Mapped[User | None] = relationship(foreign_keys=[viewer_user_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])

    @property
    def viewer_name(self) -> str:
        return self.viewer_org.name if self.viewer_org else self.viewer_user.name


class ViewerInvitation(db.Model):
    """An emailed invitation to view the programme (as organisation member invitations work):
    only the person with that address can accept, for themselves or, when `for_org`, for an
    organisation they own."""

    __tablename__ = "viewer_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    #: accepted on behalf of an organisation the person owns (else for the person alone)
    for_org: Mapped[bool] = mapped_column(Boolean, default=True)
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
