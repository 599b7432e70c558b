"""What the 関わり証明 holds about one person (their choice of organisations per 年度 and the
verification links they made), for their personal-data download; and, when they delete their
account, every verification link is withdrawn so nobody can show their record any more."""

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.accounts.signals import Erased, account_erasing
from app.attendance.personal_data import add_personal_data
from app.extensions import db
from app.records.models import ActivityRecord, ActivityRecordLink


def _at(value):
    return value.isoformat() if value else None


def records_of(user: User) -> list[dict]:
    """Link codes are left out, like ticket codes: a leaked copy must not show the record."""
    records = db.session.scalars(
        select(ActivityRecord)
        .where(ActivityRecord.user_id == user.id)
        .options(selectinload(ActivityRecord.orgs), selectinload(ActivityRecord.links))
        .order_by(ActivityRecord.year)
    ).all()
    return [
        {"year": r.year, "organisations_shown": sorted(o.org_id for o in r.orgs),
         "links": [{"created_at": _at(link.created_at), "withdrawn_at": _at(link.withdrawn_at)}
                   for link in sorted(r.links, key=lambda link: link.id)]}
        for r in records
    ]  # fmt: skip


@account_erasing.connect
def _withdraw_links(sender, user: User, now) -> Erased:
    mine = select(ActivityRecord.id).where(ActivityRecord.user_id == user.id)
    withdrawn = db.session.execute(
        update(ActivityRecordLink)
        .where(ActivityRecordLink.record_id.in_(mine), ActivityRecordLink.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return Erased(counts={"record_links_withdrawn": withdrawn or 0})


def register() -> None:
    add_personal_data("activity_records", records_of)
