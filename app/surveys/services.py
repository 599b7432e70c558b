"""Building a survey, sending it to the people whose attendance (or archive viewing) matches,
one reminder, closing.

Services flush only; the edge commits once. The mails go through the outbox (written with the
commit, sent after it).
"""

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app.accounts.models import User
from app.archive.models import ArchiveViewing
from app.attendance.models import Attendance, AttendanceStatus
from app.audit.services import record
from app.core.errors import ValidationFailed
from app.core.types import utcnow
from app.events.models import Series, Session
from app.extensions import db
from app.surveys import notifications
from app.surveys.errors import SurveyLocked, SurveyNotOpen
from app.surveys.models import (
    AttendedAs,
    QuestionType,
    Survey,
    SurveyQuestion,
    SurveyRecipient,
    SurveyStatus,
)
from app.surveys.presets import KAKAWARI_SET

MAX_QUESTIONS = 40
MAX_OPTIONS = 20
MAX_OPEN_DAYS = 90
#: status -> how the person took part; the first that applies wins across a series' sessions
BUCKETS = {
    AttendanceStatus.attended_venue: AttendedAs.venue,
    AttendanceStatus.attended_online: AttendedAs.online,
    AttendanceStatus.partial: AttendedAs.partial,
}
RANK = {AttendedAs.venue: 0, AttendedAs.online: 1, AttendedAs.partial: 2}
#: archive viewing (merged across tabs, summed over the survey's sessions) that makes someone
#: an archive viewer the survey can go to (to_archive)
ARCHIVE_MINUTES = 5


# --- building ------------------------------------------------------------------------------------


def create_survey(series: Series, session: Session | None, title: str) -> Survey:
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationFailed(
            fields={"title": [_l("Give the survey a title (200 characters at most).")]}
        )
    if session is not None and session.series_id != series.id:
        raise ValidationFailed(fields={"session_id": [_l("Choose a session of this series.")]})
    survey = Survey(series=series, session=session, title=title)
    db.session.add(survey)
    db.session.flush()
    return survey


def update_settings(
    survey: Survey,
    *,
    anonymous: bool,
    to_venue: bool,
    to_online: bool,
    to_partial: bool,
    open_days: int,
    to_archive: bool = False,
) -> None:
    """Who it goes to and whether it is anonymous are fixed once it is sent; how long it
    stays open may still change (counted from the sending)."""
    if not isinstance(open_days, int) or not 1 <= open_days <= MAX_OPEN_DAYS:
        raise ValidationFailed(fields={"open_days": [_l("Between 1 and 90 days.")]})
    wanted = tuple(map(bool, (anonymous, to_venue, to_online, to_partial, to_archive)))
    current = (survey.anonymous, survey.to_venue, survey.to_online, survey.to_partial,
               survey.to_archive)  # fmt: skip
    if survey.locked:
        if wanted != current:
            raise SurveyLocked()
    else:
        if not any(wanted[1:]):
            raise ValidationFailed(
                fields={"to_venue": [_l("Choose at least one group of people.")]}
            )
        (survey.anonymous, survey.to_venue, survey.to_online, survey.to_partial,
         survey.to_archive) = wanted  # fmt: skip
    survey.open_days = open_days
    if survey.sent_at is not None:
        survey.closes_at = survey.sent_at + timedelta(days=open_days)
    db.session.flush()


def _check_question(kind: str, label: str, choices: str) -> tuple[QuestionType, str, str]:
    errors = {}
    try:
        kind = QuestionType(kind)
    except ValueError:
        errors["kind"] = [_l("Choose a type of question.")]
    label = (label or "").strip()
    if not label or len(label) > 300:
        errors["label"] = [_l("Write the question (300 characters at most).")]
    options = [line.strip() for line in (choices or "").splitlines() if line.strip()]
    if (
        kind in (QuestionType.single, QuestionType.multiple)
        and not 2 <= len(options) <= MAX_OPTIONS
    ):
        errors["choices"] = [_l("Write 2 to 20 options, one a line.")]
    if any(len(o) > 200 for o in options):
        errors["choices"] = [_l("Each option can be 200 characters at most.")]
    if errors:
        raise ValidationFailed(fields=errors)
    keep = "\n".join(options) if kind in (QuestionType.single, QuestionType.multiple) else ""
    return kind, label, keep


def _editable(survey: Survey) -> None:
    if survey.locked:
        raise SurveyLocked(_l("The survey has been sent: its questions can no longer change."))


def add_question(survey: Survey, kind: str, label: str, choices: str = "", required=False):
    _editable(survey)
    if len(survey.questions) >= MAX_QUESTIONS:
        raise ValidationFailed(fields={"label": [_l("A survey has 40 questions at most.")]})
    kind, label, choices = _check_question(kind, label, choices)
    question = SurveyQuestion(
        kind=kind, label=label, choices=choices, required=bool(required),
        position=len(survey.questions) + 1,
    )  # fmt: skip
    survey.questions.append(question)
    db.session.flush()
    return question


def edit_question(question: SurveyQuestion, label: str, choices: str = "", required=False):
    """The wording (a 関係人口 question keeps its key: its answers still compare)."""
    _editable(question.survey)
    _kind, label, choices = _check_question(question.kind.value, label, choices)
    question.label, question.choices, question.required = label, choices, bool(required)
    db.session.flush()


def remove_question(question: SurveyQuestion) -> None:
    _editable(question.survey)
    question.survey.questions.remove(question)
    db.session.flush()


def add_kakawari_set(survey: Survey) -> int:
    """The five 関係人口 questions (those not in the survey yet), each with its shared key."""
    _editable(survey)
    present = {q.key for q in survey.questions}
    added = 0
    for key, label in KAKAWARI_SET:
        if key not in present:
            survey.questions.append(
                SurveyQuestion(
                    kind=QuestionType.scale, label=label, key=key, required=True,
                    position=len(survey.questions) + 1,
                )
            )  # fmt: skip
            added += 1
    db.session.flush()
    return added


# --- who it goes to ----------------------------------------------------------------------------


def _sessions_of(survey: Survey) -> list[Session]:
    if survey.session is not None:
        return [survey.session]
    return [s for s in survey.series.sessions if not s.is_cancelled]


def _archive_viewers(session_ids: list[int]) -> set[int]:
    """Those whose archive viewing of these sessions adds up to ARCHIVE_MINUTES, in one query."""
    if not session_ids:
        return set()
    return set(
        db.session.scalars(
            select(ArchiveViewing.user_id)
            .where(ArchiveViewing.session_id.in_(session_ids))
            .group_by(ArchiveViewing.user_id)
            .having(func.sum(ArchiveViewing.seconds) >= ARCHIVE_MINUTES * 60)
        )
    )


def audience(survey: Survey) -> dict[int, AttendedAs]:
    """user id -> how they took part, for those whose attendance matches the survey's choice
    (venue, online, partial) in its session, or any session of its series, and (to_archive)
    those who watched its archive for ARCHIVE_MINUTES. The attendance records win: someone
    who attended live and watched the archive too is in their live group (the first chosen
    one, by RANK, across a series' sessions), never in the archive group."""
    session_ids = [s.id for s in _sessions_of(survey)]
    wanted = {AttendedAs(key) for key in survey.audience_keys}
    rows = db.session.execute(
        select(Attendance.user_id, Attendance.status).where(
            Attendance.session_id.in_(session_ids), Attendance.status.in_(BUCKETS)
        )
    )
    live: set[int] = set()
    found: dict[int, AttendedAs] = {}
    for user_id, status in rows:
        live.add(user_id)
        bucket = BUCKETS[status]
        if bucket in wanted and (user_id not in found or RANK[bucket] < RANK[found[user_id]]):
            found[user_id] = bucket
    if survey.to_archive:
        for user_id in _archive_viewers(session_ids) - live:
            found[user_id] = AttendedAs.archive
    return found


def returning_people(survey: Survey, user_ids) -> set[int]:
    """Of these people, those who attended an earlier session of the organisation (before the
    survey's session, or before the series' first)."""
    sessions = _sessions_of(survey)
    if not sessions or not user_ids:
        return set()
    before = min(s.starts_at for s in sessions)
    attended = (AttendanceStatus.attended_venue, AttendanceStatus.attended_online)
    return set(
        db.session.scalars(
            select(Attendance.user_id)
            .join(Session, Session.id == Attendance.session_id)
            .join(Series, Series.id == Session.series_id)
            .where(
                Series.org_id == survey.series.org_id,
                Session.starts_at < before,
                Attendance.status.in_(attended),
                Attendance.user_id.in_(list(user_ids)),
            )
            .distinct()
        )
    )


# --- sending -----------------------------------------------------------------------------------


def send(survey: Survey, actor=None, now: datetime | None = None) -> int:
    """Open the survey and mail it to everyone in its audience(); how many it went to."""
    now = now or utcnow()
    _editable(survey)
    if not survey.questions:
        raise ValidationFailed(fields={"": [_l("Add at least one question before sending.")]})
    if any(s.ends_at > now for s in _sessions_of(survey)):
        raise ValidationFailed(
            fields={"": [_l("The survey can be sent once the session is over.")]}
        )
    people = audience(survey)
    returning = returning_people(survey, people)
    db.session.add_all(
        SurveyRecipient(
            survey_id=survey.id, user_id=uid, attended_as=bucket,
            returner=uid in returning, responded=False, sent_at=now,
        )
        for uid, bucket in people.items()
    )  # fmt: skip
    survey.status, survey.sent_at = SurveyStatus.open, now
    survey.closes_at = now + timedelta(days=survey.open_days or 14)
    db.session.flush()
    users = db.session.scalars(select(User).where(User.id.in_(list(people)))).all()
    for user in users:
        notifications.survey_mail(survey, user)
    record("survey.sent", actor=actor, org_id=survey.series.org_id, survey=survey.id,
           recipients=len(people))  # fmt: skip
    return len(people)


def remind(survey: Survey, actor=None) -> int:
    """One reminder, to those who have not answered yet."""
    if not survey.is_open():
        raise SurveyNotOpen()
    if survey.reminded_at is not None:
        raise ValidationFailed(fields={"": [_l("The reminder has already been sent.")]})
    users = db.session.scalars(
        select(User)
        .join(SurveyRecipient, SurveyRecipient.user_id == User.id)
        .where(SurveyRecipient.survey_id == survey.id, SurveyRecipient.responded.is_(False))
    ).all()
    for user in users:
        notifications.survey_mail(survey, user, reminder=True)
    survey.reminded_at = utcnow()
    record("survey.reminded", actor=actor, org_id=survey.series.org_id, survey=survey.id,
           recipients=len(users))  # fmt: skip
    db.session.flush()
    return len(users)


def close(survey: Survey) -> None:
    if survey.status is SurveyStatus.draft:
        raise SurveyNotOpen()
    survey.status = SurveyStatus.closed
    db.session.flush()


def surveys_of(series: Series) -> list[Survey]:
    return list(
        db.session.scalars(
            select(Survey).where(Survey.series_id == series.id).order_by(Survey.id.desc())
        )
    )


def mark_responded(survey: Survey, user_id: int, now: datetime) -> bool:
    """Set the person's "responded" once; False when it was already set (one UPDATE: two
    submissions at once cannot both pass)."""
    done = db.session.execute(
        update(SurveyRecipient)
        .where(
            SurveyRecipient.survey_id == survey.id,
            SurveyRecipient.user_id == user_id,
            SurveyRecipient.responded.is_(False),
        )
        .values(responded=True, responded_at=None if survey.anonymous else now)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1
