"""The demo's commissioning municipality (委託元): 島根県's 関係人口 desk views the programme of
「しまね関係人口ラボ」 (its ゼミ, spring and autumn, and the per-session course) as aggregates.
Made once; running the seed again changes nothing."""

from sqlalchemy import select

from app.events.models import Series
from app.extensions import db
from app.orgs.models import Membership, Organization, Role
from app.programme.models import ViewerGrant

VIEWER_EMAIL = "viewer@example.jp"
VIEWER_ORG = "島根県 地域振興部 関係人口担当"
#: the demo organisation's series that make up the programme
PROGRAMME = ("しまね関係人口ゼミ 2026", "しまね関係人口ゼミ 2026 春", "えらべる しまね暮らし講座")


def seed_viewer(org: Organization, user) -> None:
    """`user` owns 島根県's organisation, which views `org`'s programme series."""
    pref = db.session.scalar(select(Organization).where(Organization.name == VIEWER_ORG))
    if pref is None:
        pref = Organization(name=VIEWER_ORG)
        pref.memberships.append(Membership(user=user, role=Role.owner))
        db.session.add(pref)
        db.session.flush()
    for series in db.session.scalars(
        select(Series).where(Series.org_id == org.id, Series.title.in_(PROGRAMME))
    ):
        series.in_programme = True
    granted = db.session.scalar(
        select(ViewerGrant).where(
            ViewerGrant.org_id == org.id,
            ViewerGrant.viewer_org_id == pref.id,
            ViewerGrant.revoked_at.is_(None),
        )
    )
    if granted is None:
        db.session.add(ViewerGrant(org_id=org.id, viewer_org_id=pref.id))
    db.session.flush()
