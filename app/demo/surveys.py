"""Demo survey: the finished hybrid session with the most attendance gets an anonymous
事後アンケート with the 関係人口 set, sent to those who came (venue, online and partly online),
and answers from all but a few (about 50-60) with plausible distributions, so that the results
page, the series dashboard and the 年度 report show real figures on first run. Safe to run
again (a survey of that title is left as it is)."""

import random

from sqlalchemy import func, select

from app.attendance.models import Attendance, AttendanceStatus
from app.core.types import utcnow
from app.events.models import Series, Session, SessionFormat
from app.extensions import db
from app.orgs.models import Organization
from app.surveys import respond, services
from app.surveys.models import QuestionType, Survey, SurveyRecipient

TITLE = "事後アンケート（関係人口）"
ANSWERS = 60
#: key -> weights of 1..5
WEIGHTS = {
    "satisfaction": (1, 2, 8, 24, 25),
    "come_again": (2, 3, 10, 22, 23),
    "visit": (3, 5, 14, 20, 18),
    "engage": (5, 9, 20, 16, 10),
    "move": (18, 16, 15, 7, 4),
}
COMMENTS = [
    "現地の方のお話が具体的で、関わり方のイメージが湧きました。",
    "オンラインでも質問しやすかったです。",
    "次回はぜひ現地に行ってみたいです。",
    "移住の話だけでなく、週末に通う関わり方もあると知れて良かった。",
    "参加者同士の交流の時間がもう少しあると嬉しいです。",
    "資料を事前にいただけると助かります。",
    "地元の食材の話が面白かった。",
    "",
]


def _finished_session(org: Organization) -> Session | None:
    attended = (AttendanceStatus.attended_venue, AttendanceStatus.attended_online)
    return db.session.scalar(
        select(Session)
        .join(Series, Series.id == Session.series_id)
        .join(Attendance, Attendance.session_id == Session.id)
        .where(
            Series.org_id == org.id,
            Session.format == SessionFormat.hybrid,
            Session.ends_at < utcnow(),
            Attendance.status.in_(attended),
        )
        .group_by(Session.id)
        .order_by(func.count(Attendance.id).desc(), Session.starts_at.desc())
        .limit(1)
    )


def seed_surveys(org: Organization) -> Survey | None:
    session = _finished_session(org)
    if session is None:
        return None
    found = db.session.scalar(
        select(Survey).where(Survey.session_id == session.id, Survey.title == TITLE)
    )
    if found is not None:
        return found
    survey = services.create_survey(session.series, session, TITLE)
    services.update_settings(survey, anonymous=True, to_venue=True, to_online=True,
                             to_partial=True, open_days=30)  # fmt: skip
    services.add_kakawari_set(survey)
    where = "SNS\n知人・友人の紹介\n市町村の広報\nチラシ・ポスター\nその他"
    services.add_question(survey, "single", "どこでこの講座を知りましたか", where)
    services.add_question(survey, "text", "ご意見・ご感想をお聞かせください")
    services.send(survey)
    rng = random.Random(14)
    people = db.session.scalars(
        select(SurveyRecipient.user_id)
        .where(SurveyRecipient.survey_id == survey.id)
        .order_by(SurveyRecipient.user_id)
    ).all()
    # all but a few answer: a response rate like a real one
    for user_id in rng.sample(people, min(ANSWERS, len(people) - len(people) // 12)):
        answers = {}
        for q in survey.questions:
            if q.kind is QuestionType.scale:
                answers[q.id] = rng.choices((1, 2, 3, 4, 5), WEIGHTS[q.key])[0]
            elif q.kind is QuestionType.single:
                answers[q.id] = rng.choices(range(5), (30, 25, 20, 15, 10))[0]
            else:
                answers[q.id] = rng.choice(COMMENTS)
        respond.submit(survey, user_id, answers)
    return survey
