"""The mail to an organisation's owners when one of its endpoints was disabled."""

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.core.urls import external_url
from app.extensions import db
from app.mail import send_mail
from app.orgs.models import Membership, Role


def tell_owners_disabled(endpoint) -> None:
    """Queue the mail in the current transaction (sent once the disabling committed)."""
    owners = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == endpoint.org_id, Membership.role == Role.owner)
    ).all()
    link = external_url("webhooks.endpoint", org_id=endpoint.org_id, endpoint_id=endpoint.id)
    for owner in owners:
        with force_locale(owner.locale):
            subject = _("A webhook endpoint was turned off: %(org)s", org=endpoint.org.name)
            body = _(
                "%(name)s,\n\nDeliveries to this webhook endpoint of %(org)s kept failing "
                "(%(count)d attempts in a row), so it was turned off:\n%(url)s\n\n"
                "Events are kept. Once the receiving system works again, turn the endpoint "
                "back on and they are delivered in order:\n%(link)s\n\n— Kakawari",
                name=owner.name,
                org=endpoint.org.name,
                count=endpoint.consecutive_failures,
                url=endpoint.url,
                link=link,
            )
        send_mail(owner.email, subject, body)
