"""Organisations: creating them, members and roles, invitations. Every change is audited.

Each function flushes; the edge (page, API operation) commits once."""

import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from app.accounts import validation as v
from app.accounts.models import User
from app.accounts.services import find_user_by_email
from app.accounts.signals import account_deleting
from app.audit.services import record
from app.core.errors import (
    Conflict,
    LastOwner,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from app.core.secrets import hash_secret
from app.core.text import single_line
from app.core.types import utcnow
from app.core.urls import external_url
from app.extensions import db
from app.mail import send_mail
from app.orgs.models import Invitation, Membership, Organization, Role

ORG_NAME_MAX = 120
_ROLE_ORDER = case(
    (Membership.role == Role.owner, 0), (Membership.role == Role.organizer, 1), else_=2
)


def clean_org_name(value) -> str:
    if not str(value or "").strip():
        raise ValidationFailed(fields={"name": [_l("Enter the organisation's name.")]})
    try:
        return single_line(value, ORG_NAME_MAX)
    except ValueError:
        message = _l("Use at most %(n)d characters, on one line.", n=ORG_NAME_MAX)
        raise ValidationFailed(fields={"name": [message]}) from None


def create_org(owner: User, name) -> Organization:
    org = Organization(name=clean_org_name(name))
    org.memberships.append(Membership(user=owner, role=Role.owner))
    db.session.add(org)
    db.session.flush()
    record("org.created", actor=owner, org=org, name=org.name)
    db.session.flush()
    return org


def set_reminder_time(org: Organization, actor: User, value) -> None:
    """The time of day (Japan time, "HH:MM") the day-before reminders of the organisation's
    sessions go out."""
    text = str(value or "").strip()
    try:
        hour, minute = (int(part) for part in text.split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60 and len(text) <= 5):
            raise ValueError(text)
    except ValueError:
        message = _l("Enter a time of day, e.g. 18:00.")
        raise ValidationFailed(fields={"reminder_time": [message]}) from None
    before = org.day_before_reminder_minute
    org.day_before_reminder_minute = hour * 60 + minute
    record(
        "org.reminder_time_changed",
        actor=actor,
        org=org,
        before=before,
        after=org.day_before_reminder_minute,
    )
    db.session.flush()


def membership(user: User, org_id: int) -> Membership | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(
        select(Membership).where(Membership.org_id == org_id, Membership.user_id == user.id)
    )


def user_memberships(user: User) -> list[Membership]:
    """The person's organisations with their role, names loaded in the same query."""
    return db.session.scalars(
        select(Membership)
        .join(Membership.org)
        .where(Membership.user_id == user.id)
        .order_by(Organization.name)
        .options(contains_eager(Membership.org))
    ).all()


def members(org: Organization) -> list[Membership]:
    return db.session.scalars(
        select(Membership)
        .join(Membership.user)
        .where(Membership.org_id == org.id)
        .order_by(_ROLE_ORDER, User.furigana)
        .options(contains_eager(Membership.user))
    ).all()


def pending_invitations(org: Organization, model=Invitation) -> list:
    """The organisation's invitations still open, newest first. `model`: Invitation (members)
    or another table of emailed invitations with the same columns (app/programme's viewers)."""
    return db.session.scalars(
        select(model)
        .where(
            model.org_id == org.id,
            model.accepted_at.is_(None),
            model.revoked_at.is_(None),
            model.expires_at > utcnow(),
        )
        .order_by(model.created_at.desc())
    ).all()


def clean_invited_email(value) -> str:
    try:
        return v.clean_email(value)
    except ValueError as exc:
        raise ValidationFailed(fields={"email": [exc.args[0]]}) from None


def invitation_link_secret() -> tuple[str, str, datetime]:
    """A new invitation link: its secret (mailed, never stored), the hash stored, and when it
    expires (INVITATION_MAX_AGE_DAYS)."""
    secret = secrets.token_urlsafe(32)
    days = current_app.config["INVITATION_MAX_AGE_DAYS"]
    return secret, hash_secret(secret), utcnow() + timedelta(days=days)


def _clean_role(value, *, allow_owner: bool = True) -> Role:
    try:
        role = Role(value)
    except ValueError:
        raise ValidationFailed(fields={"role": [_l("Choose a role.")]}) from None
    if role is Role.owner and not allow_owner:
        raise ValidationFailed(fields={"role": [_l("Choose a role.")]})
    return role


def invite(org: Organization, inviter: User, email, role) -> Invitation:
    """Email an invitation link; only the person with that address can accept it."""
    email = clean_invited_email(email)
    role = _clean_role(role, allow_owner=False)
    existing = find_user_by_email(email)
    if existing and membership(existing, org.id):
        raise Conflict(
            _l("This person is already a member."),
            fields={"email": [_l("This person is already a member.")]},
        )
    for old in pending_invitations(org):
        if old.email == email:
            old.revoked_at = utcnow()  # a new invitation replaces the old link
    secret, token_hash, expires_at = invitation_link_secret()
    days = current_app.config["INVITATION_MAX_AGE_DAYS"]
    invitation = Invitation(
        org=org,
        email=email,
        role=role,
        token_hash=token_hash,
        invited_by=inviter,
        expires_at=expires_at,
    )
    db.session.add(invitation)
    record("org.member_invited", actor=inviter, org=org, email=email, role=role.value)
    link = external_url("orgs.invitation", token=secret)
    with force_locale(existing.locale if existing else "ja"):
        subject = _("Invitation to %(org)s on Kakawari", org=org.name)
        body = _(
            "%(inviter)s invited you to join %(org)s on Kakawari as %(role)s.\n\n"
            "Open this link to accept (valid for %(days)d days):\n%(link)s\n\n— Kakawari",
            inviter=inviter.name,
            org=org.name,
            role=str(role.label),
            days=days,
            link=link,
        )
    send_mail(email, subject, body)  # committed with the invitation, by the caller
    db.session.flush()
    return invitation


def invitation_for_token(secret: str, model=Invitation):
    """The open invitation (of `model`, as pending_invitations) whose link holds `secret`."""
    query = select(model).where(model.token_hash == hash_secret(secret))
    invitation = db.session.scalar(query)
    if invitation is None or not invitation.is_pending:
        raise NotFound(_l("This invitation is invalid, was withdrawn or has expired."))
    return invitation


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    if user.email != invitation.email:
        raise PermissionDenied(
            _l(
                "This invitation was sent to %(email)s. Log in with that address to accept it.",
                email=invitation.email,
            )
        )
    current = membership(user, invitation.org_id)
    invitation.accepted_at = utcnow()
    if current is None:
        current = Membership(org_id=invitation.org_id, user=user, role=invitation.role)
        db.session.add(current)
    record(
        "org.member_joined", actor=user, subject=user, org=invitation.org, role=current.role.value
    )
    try:
        db.session.flush()
    except IntegrityError:  # accepted twice at once: the caller's transaction is rolled back
        db.session.rollback()
        current = membership(user, invitation.org_id)
    return current


def revoke_invitation(org: Organization, actor: User, invitation_id: int) -> None:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.org_id != org.id or not invitation.is_pending:
        raise NotFound()
    invitation.revoked_at = utcnow()
    record("org.invitation_revoked", actor=actor, org=org, email=invitation.email)
    db.session.flush()


def _member_of(org: Organization, membership_id: int) -> Membership:
    m = db.session.get(Membership, membership_id)
    if m is None or m.org_id != org.id:
        raise NotFound()
    return m


def _owner_count(org: Organization) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.org_id == org.id, Membership.role == Role.owner)
    )


def change_role(org: Organization, actor: User, membership_id: int, role) -> Membership:
    m = _member_of(org, membership_id)
    role = _clean_role(role)
    if m.role is Role.owner and role is not Role.owner and _owner_count(org) <= 1:
        raise LastOwner()
    old = m.role
    m.role = role
    record("org.role_changed", actor=actor, subject=m.user, org=org, old=old.value, new=role.value)
    db.session.flush()
    return m


def remove_member(org: Organization, actor: User, membership_id: int) -> None:
    m = _member_of(org, membership_id)
    if m.role is Role.owner and _owner_count(org) <= 1:
        raise LastOwner()
    record("org.member_removed", actor=actor, subject=m.user, org=org, role=m.role.value)
    db.session.delete(m)
    db.session.flush()


@account_deleting.connect
def _on_account_deleting(sender, user: User):
    """Refuse while the person is an organisation's last owner; otherwise drop memberships."""
    for m in user_memberships(user):
        if m.role is Role.owner and _owner_count(m.org) <= 1:
            return _(
                "You are the only owner of %(org)s. Make another member an owner first.",
                org=m.org.name,
            )
    for m in user_memberships(user):
        db.session.delete(m)
    return None
