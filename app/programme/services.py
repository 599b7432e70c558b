"""Who may view an organisation's programme: grants, invitations, revoking, and the log of
every view. Each function flushes; the edge commits once.

Invitations work as the organisation's member invitations do (app/orgs/services.py): a secret
link mailed through the outbox, its SHA-256 stored, valid INVITATION_MAX_AGE_DAYS, accepted only
by the person with that address. A viewer is never a member of the organisation.
"""

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.accounts.services import find_user_by_email
from app.audit.services import record
from app.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.core.types import utcnow
from app.core.urls import external_url
from app.extensions import db
from app.mail import send_mail
from app.orgs import services as orgs
from app.orgs.models import Membership, Organization, Role
from app.programme.models import ViewerGrant, ViewerInvitation

#: who of a viewer organisation sees what it was granted (staff only scan tickets)
VIEWER_ORG_ROLES = (Role.organizer, Role.owner)


def _viewer_orgs(user: User):
    """Ids of the organisations through which the person views (they organise or own them)."""
    return select(Membership.org_id).where(
        Membership.user_id == user.id, Membership.role.in_(VIEWER_ORG_ROLES)
    )


def grants_for(user: User) -> list[ViewerGrant]:
    """The person's standing grants (theirs, or their organisations'), one per organisation
    viewed, by the viewed organisation's name."""
    if not user.is_authenticated:
        return []
    found = db.session.scalars(
        select(ViewerGrant)
        .join(Organization, Organization.id == ViewerGrant.org_id)
        .where(
            ViewerGrant.revoked_at.is_(None),
            or_(
                ViewerGrant.viewer_user_id == user.id,
                ViewerGrant.viewer_org_id.in_(_viewer_orgs(user)),
            ),
        )
        .order_by(Organization.name, ViewerGrant.id)
        .options(selectinload(ViewerGrant.org), selectinload(ViewerGrant.viewer_org))
    ).all()
    seen, grants = set(), []
    for grant in found:
        if grant.org_id not in seen:
            seen.add(grant.org_id)
            grants.append(grant)
    return grants


def grant_for(user: User, org_id: int) -> ViewerGrant:
    """The person's grant to view the organisation; NotFound (404, as for an outsider) when
    there is none."""
    for grant in grants_for(user):
        if grant.org_id == org_id:
            return grant
    raise NotFound()


def grants_of(org: Organization) -> list[ViewerGrant]:
    """Who views the organisation's programme now (the owner's page)."""
    return db.session.scalars(
        select(ViewerGrant)
        .where(ViewerGrant.org_id == org.id, ViewerGrant.revoked_at.is_(None))
        .order_by(ViewerGrant.granted_at)
        .options(selectinload(ViewerGrant.viewer_org), selectinload(ViewerGrant.viewer_user))
    ).all()


def pending_invitations(org: Organization) -> list[ViewerInvitation]:
    return orgs.pending_invitations(org, ViewerInvitation)


def invite_viewer(org: Organization, inviter: User, email, for_org: bool) -> ViewerInvitation:
    """Mail an invitation to view the programme; only the person with that address accepts
    it (for an organisation they own when `for_org`). A new invitation replaces the old one."""
    email = orgs.clean_invited_email(email)
    for old in pending_invitations(org):
        if old.email == email:
            old.revoked_at = utcnow()
    secret, token_hash, expires_at = orgs.invitation_link_secret()
    invitation = ViewerInvitation(
        org=org,
        email=email,
        for_org=bool(for_org),
        token_hash=token_hash,
        invited_by=inviter,
        expires_at=expires_at,
    )
    db.session.add(invitation)
    record("programme.viewer_invited", actor=inviter, org=org, email=email, for_org=for_org)
    existing = find_user_by_email(email)
    link = external_url("programme.invitation", token=secret)
    with force_locale(existing.locale if existing else "ja"):
        subject = _("Invitation to view the programme of %(org)s on Kakawari", org=org.name)
        body = _(
            "%(inviter)s invited you to view the programme figures of %(org)s on Kakawari "
            "(aggregates only, no personal data).\n\n"
            "Open this link to accept (valid for %(days)d days):\n%(link)s\n\n— Kakawari",
            inviter=inviter.name,
            org=org.name,
            days=current_app.config["INVITATION_MAX_AGE_DAYS"],
            link=link,
        )
    send_mail(email, subject, body)  # committed with the invitation, by the caller
    db.session.flush()
    return invitation


def invitation_for_token(secret: str) -> ViewerInvitation:
    return orgs.invitation_for_token(secret, ViewerInvitation)


def owned_orgs(user: User) -> list[Organization]:
    """Organisations the person owns: those they may accept an invitation for."""
    return db.session.scalars(
        select(Organization)
        .join(Membership, Membership.org_id == Organization.id)
        .where(Membership.user_id == user.id, Membership.role == Role.owner)
        .order_by(Organization.name)
    ).all()


def accept_invitation(invitation: ViewerInvitation, user: User, viewer_org_id=None) -> ViewerGrant:
    """The invited person accepts: a grant to them, or to the organisation they own and
    choose (`viewer_org_id`) when the invitation is for an organisation."""
    if user.email != invitation.email:
        raise PermissionDenied(
            _l(
                "This invitation was sent to %(email)s. Log in with that address to accept it.",
                email=invitation.email,
            )
        )
    viewer_org = None
    if invitation.for_org:
        owned = {o.id: o for o in owned_orgs(user)}
        try:
            viewer_org = owned[int(viewer_org_id)]
        except (KeyError, TypeError, ValueError):
            message = _l("Choose one of the organisations you own.")
            raise ValidationFailed(message, fields={"viewer_org": [message]}) from None
        if viewer_org.id == invitation.org_id:
            message = _l("An organisation cannot view its own programme as a viewer.")
            raise Conflict(message, fields={"viewer_org": [message]})
    invitation.accepted_at = utcnow()
    grant = _standing(invitation.org_id, viewer_org, user)
    if grant is None:  # invited again while viewing: the standing grant stays the one
        grant = ViewerGrant(
            org_id=invitation.org_id,
            viewer_org=viewer_org,
            viewer_user=None if viewer_org else user,
            granted_by_id=invitation.invited_by_id,
        )
        db.session.add(grant)
    record(
        "programme.viewer_joined",
        actor=user,
        subject=user,
        org=invitation.org,
        viewer=viewer_org.name if viewer_org else user.email,
    )
    db.session.flush()
    return grant


def _standing(org_id: int, viewer_org: Organization | None, user: User) -> ViewerGrant | None:
    viewer = (
        ViewerGrant.viewer_org_id == viewer_org.id
        if viewer_org
        else ViewerGrant.viewer_user_id == user.id
    )
    return db.session.scalar(
        select(ViewerGrant).where(
            ViewerGrant.org_id == org_id, ViewerGrant.revoked_at.is_(None), viewer
        )
    )


def revoke_grant(org: Organization, actor: User, grant_id: int) -> ViewerGrant:
    grant = db.session.get(ViewerGrant, grant_id)
    if grant is None or grant.org_id != org.id or grant.revoked_at is not None:
        raise NotFound()
    grant.revoked_at = utcnow()
    record("programme.viewer_revoked", actor=actor, org=org, viewer=_viewer_label(grant))
    db.session.flush()
    return grant


def revoke_invitation(org: Organization, actor: User, invitation_id: int) -> None:
    invitation = db.session.get(ViewerInvitation, invitation_id)
    if invitation is None or invitation.org_id != org.id or not invitation.is_pending:
        raise NotFound()
    invitation.revoked_at = utcnow()
    record("programme.invitation_revoked", actor=actor, org=org, email=invitation.email)
    db.session.flush()


def _viewer_label(grant: ViewerGrant) -> str:
    return grant.viewer_org.name if grant.viewer_org else grant.viewer_user.email


def log_view(grant: ViewerGrant, viewer: User, what: str, **details) -> None:
    """Every view of a programme by a viewer goes into the viewed organisation's security log
    (page, file or API operation, and its 年度 or series). The only write a viewer's GET makes;
    the edge commits it."""
    record(
        "programme.viewed",
        actor=viewer,
        org_id=grant.org_id,
        viewer=_viewer_label(grant),
        what=what,
        **details,
    )
