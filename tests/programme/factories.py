"""Two intermediary organisations' programmes seen by one municipality (委託元), with planted
personal data that a viewer must never receive, and groups of fewer than 5 people."""

from datetime import timedelta

from app.core.types import utcnow
from app.extensions import db
from app.orgs.models import Membership, Role
from app.programme.models import ViewerGrant
from app.surveys.models import (
    AttendedAs,
    QuestionType,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyRecipient,
    SurveyResponse,
    SurveyStatus,
)
from tests.attendance.figures import attend, series_at
from tests.conftest import create_org, create_user

#: strings that must never reach a viewer
PLANTED_NAME = "秘密山 漏子"
PLANTED_FURIGANA = "ひみつやま もれこ"
PLANTED_EMAIL = "planted.secret.person@example.jp"
PLANTED_TEXT = "PLANTED-自由記述-こたえ"
VIEWER_EMAIL = "kankei@pref.shimane.example.jp"


def _days_ago(days: int):
    return utcnow() - timedelta(days=days)


def viewed_series(org_id: int, title: str, people: int, small_online: int, *, tag: str):
    """A programme series of two sessions held last month: `people` attend both at the venue,
    `small_online` (fewer than 5) attend the second online only; the first venue attendee is
    the planted person when `tag` is "a"."""
    series = series_at(
        org_id, [_days_ago(30), _days_ago(23)], title=title, completion_min_sessions=2
    )
    series.in_programme = True
    db.session.commit()
    for i in range(people):
        planted = tag == "a" and i == 0
        user = create_user(
            PLANTED_EMAIL if planted else f"{tag}{i}@example.jp",
            name=PLANTED_NAME if planted else f"参加 {tag}{i}",
            furigana=PLANTED_FURIGANA if planted else "さんか",
            prefecture="13" if i % 2 else "32",
        )
        attend(series, user, ["venue", "venue"])
    for i in range(small_online):
        user = create_user(f"{tag}-online{i}@example.jp", prefecture="27")
        attend(series, user, [None, "online"])
    return series


def survey_with_free_text(series, answers: int):
    """A sent survey: a 5-point scale, a single choice and a free-text question, `answers`
    people answering (one of them writes the planted text)."""
    survey = Survey(
        series_id=series.id, title="事後アンケート", status=SurveyStatus.closed, sent_at=utcnow()
    )
    scale = SurveyQuestion(kind=QuestionType.scale, label="満足度", position=1, key="satisfaction")
    choice = SurveyQuestion(
        kind=QuestionType.single, label="また参加したいですか", choices="はい\nいいえ", position=2
    )
    text = SurveyQuestion(kind=QuestionType.text, label="感想", position=3)
    survey.questions = [scale, choice, text]
    db.session.add(survey)
    db.session.flush()
    for i in range(answers):
        user = create_user(f"survey{series.id}-{i}@example.jp")
        db.session.add(
            SurveyRecipient(
                survey_id=survey.id, user_id=user.id, attended_as=AttendedAs.venue, responded=True
            )
        )
        response = SurveyResponse(
            survey_id=survey.id, user_id=user.id, attended_as=AttendedAs.venue
        )
        response.answers = [
            SurveyAnswer(question_id=scale.id, choice=5 if i else 2),
            SurveyAnswer(question_id=choice.id, choice=0 if i else 1),  # one says いいえ
            SurveyAnswer(question_id=text.id, text=PLANTED_TEXT if i == 0 else ""),
        ]
        db.session.add(response)
    db.session.commit()
    return survey


def two_programmes(world) -> dict:
    """World's organisation (A) and a second one (B) each run a programme series; 島根県
    views both; A also has a series outside the programme. Returns ids."""
    org_b_owner = create_user("b.owner@example.jp", name="雲南 一郎")
    org_b = create_org("うんなん暮らし研究所", owner=org_b_owner)
    series_a = viewed_series(world["org"], "しまね関係人口ゼミ", 7, 2, tag="a")
    series_b = viewed_series(org_b.id, "うんなん未来塾", 6, 3, tag="b")
    outside = series_at(world["org"], [_days_ago(20)], title="programme外の講座")
    attend(outside, create_user("outside@example.jp", name="外部 太郎"), ["venue"])
    survey_with_free_text(series_a, 6)
    viewer = create_user(VIEWER_EMAIL, name="島根 県子", furigana="しまね けんこ")
    pref = create_org("島根県 地域振興部", owner=viewer)
    for org_id in (world["org"], org_b.id):
        db.session.add(ViewerGrant(org_id=org_id, viewer_org_id=pref.id, granted_by_id=None))
    db.session.commit()
    return {
        "org_a": world["org"],
        "org_b": org_b.id,
        "series_a": series_a.id,
        "series_b": series_b.id,
        "outside": outside.id,
        "pref": pref.id,
        "viewer": viewer.id,
    }


def add_member(org_id: int, user, role: Role) -> None:
    db.session.add(Membership(org_id=org_id, user=user, role=role))
    db.session.commit()
