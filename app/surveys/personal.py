"""What the surveys hold about one person, for their personal-data download and for the
deletion of their account (accounts sends account_erasing; surveys listen).

Named answers are the person's own, in full. An anonymous answer is nobody's: only the fact
that they answered is theirs (SurveyRecipient), so only that goes into the download."""

from sqlalchemy import select, update

from app.accounts.models import User
from app.accounts.signals import Erased, account_erasing
from app.attendance.personal_data import add_personal_data
from app.extensions import db
from app.surveys.models import (
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyRecipient,
    SurveyResponse,
)


def _at(value):
    return value.isoformat() if value else None


def surveys_of(user: User) -> dict:
    """The surveys sent to the person and their named answers; three queries at most."""
    received = db.session.execute(
        select(SurveyRecipient, Survey.title, Survey.anonymous)
        .join(Survey, Survey.id == SurveyRecipient.survey_id)
        .where(SurveyRecipient.user_id == user.id)
        .order_by(SurveyRecipient.id)
    ).all()
    responses = db.session.scalars(
        select(SurveyResponse).where(SurveyResponse.user_id == user.id).order_by(SurveyResponse.id)
    ).all()
    answers: dict[int, list[dict]] = {r.id: [] for r in responses}
    if answers:
        rows = db.session.execute(
            select(SurveyAnswer.response_id, SurveyQuestion.label, SurveyAnswer.choice,
                   SurveyAnswer.text)
            .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
            .where(SurveyAnswer.response_id.in_(answers))
            .order_by(SurveyQuestion.position, SurveyQuestion.id, SurveyAnswer.id)
        )  # fmt: skip
        for response_id, label, choice, text in rows:
            answers[response_id].append({"question": label, "choice": choice, "text": text})
    return {
        "received": [
            {"survey_id": r.survey_id, "title": title, "anonymous": anonymous,
             "sent_at": _at(r.sent_at), "responded": r.responded,
             "responded_at": _at(r.responded_at)}
            for r, title, anonymous in received
        ],
        "named_answers": [
            {"survey_id": r.survey_id, "submitted_at": _at(r.submitted_at),
             "updated_at": _at(r.updated_at), "answers": answers[r.id]}
            for r in responses
        ],
    }  # fmt: skip


@account_erasing.connect
def _erase_named_free_text(sender, user: User, now) -> Erased:
    """Free text of the person's named answers goes, as with registration answers; their
    choices stay for the survey's statistics, under the anonymous account row."""
    mine = select(SurveyResponse.id).where(SurveyResponse.user_id == user.id)
    removed = db.session.execute(
        update(SurveyAnswer)
        .where(SurveyAnswer.response_id.in_(mine), SurveyAnswer.text != "")
        .values(text="")
        .execution_options(synchronize_session=False)
    ).rowcount
    return Erased(counts={"survey_texts_removed": removed or 0})


def register() -> None:
    add_personal_data("surveys", surveys_of)
