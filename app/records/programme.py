"""The organisation's list for a 年度: the people with at least N activities (as in the
関わり証明: final, attended at the venue or online) in its programme, N set by the
organisation, and only people who agreed to it when they registered for one of its series."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import User
from app.attendance.models import Attendance, SessionAttendance
from app.core.errors import ValidationFailed
from app.events.models import Series, Session
from app.extensions import db
from app.records.models import ActivityRecordSetting
from app.records.services import counts_as_activity
from app.registration.models import Registration

DEFAULT_N = 3
MAX_N = 100


@dataclass(frozen=True)
class Listed:
    user: User
    activities: int


def min_activities(org_id: int) -> int:
    setting = db.session.get(ActivityRecordSetting, org_id)
    return setting.min_activities if setting else DEFAULT_N


def set_min_activities(org_id: int, value: str | None) -> int:
    """Store the organisation's N (1 to 100). Flushes."""
    text = (value or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_N:
        raise ValidationFailed(
            fields={"min_activities": [_("Enter a number from 1 to %(max)d.", max=MAX_N)]}
        )
    setting = db.session.get(ActivityRecordSetting, org_id)
    if setting is None:
        setting = ActivityRecordSetting(org_id=org_id)
        db.session.add(setting)
    setting.min_activities = int(text)
    db.session.flush()
    return setting.min_activities


def listed(org_id: int, year: int, n: int) -> list[Listed]:
    """People who agreed at registration, with at least n activities in the organisation's
    series in the 年度, by ふりがな."""
    consented = (
        select(Registration.user_id)
        .join(Series, Series.id == Registration.series_id)
        .where(Series.org_id == org_id, Registration.record_consent_at.is_not(None))
    )
    counts = db.session.execute(
        select(Attendance.user_id, func.count(Attendance.id))
        .join(Session, Session.id == Attendance.session_id)
        .join(Series, Series.id == Session.series_id)
        .join(SessionAttendance, SessionAttendance.session_id == Session.id)
        .where(
            Series.org_id == org_id,
            counts_as_activity(year),
            Attendance.user_id.in_(consented),
        )
        .group_by(Attendance.user_id)
        .having(func.count(Attendance.id) >= n)
    ).all()
    users = {
        u.id: u
        for u in db.session.scalars(select(User).where(User.id.in_([uid for uid, _n in counts])))
    }
    found = [Listed(users[uid], count) for uid, count in counts]
    return sorted(found, key=lambda p: (p.user.furigana or "", p.user.id))
