"""A survey's results for its organisers, in a fixed number of queries however many people
answered: the response rate (per group), every question's distribution split by how people
attended and new vs returning, and the free text.

Groups: "all", each AttendedAs value (archive: アーカイブ視聴, for a survey also sent to the
archive's viewers), "new", "returning"; a group shows once anybody in it was sent the survey.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.surveys.models import (
    AttendedAs,
    QuestionType,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyRecipient,
    SurveyResponse,
)
from app.surveys.presets import SCALE, SCALE_LABELS

#: the results' columns, in order
GROUPS = ("all", *[a.value for a in AttendedAs], "new", "returning")
#: free text answers listed per question on the page
TEXT_SHOWN = 200
#: anonymous surveys: a group with fewer answers than this shows no distribution (one online
#: respondent's answers would otherwise be theirs for all to see)
MIN_ANONYMOUS_GROUP = 3


def _groups_of(attended_as: AttendedAs, returning: bool) -> tuple[str, ...]:
    return ("all", attended_as.value, "returning" if returning else "new")


@dataclass
class Option:
    label: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GROUPS, 0))


@dataclass
class QuestionResult:
    question: SurveyQuestion
    options: list[Option]
    #: respondents who answered it, per group
    answered: dict[str, int]
    texts: list[tuple[str, str | None]] = field(default_factory=list)

    def share(self, option: Option, group: str = "all") -> int:
        """Percent of those in the group who answered the question."""
        n = self.answered.get(group, 0)
        return round(100 * option.counts[group] / n) if n else 0

    def mean(self, group: str = "all") -> float | None:
        if self.question.kind is not QuestionType.scale or not self.answered.get(group):
            return None
        total = sum((i + 1) * o.counts[group] for i, o in enumerate(self.options))
        return round(total / self.answered[group], 2)


@dataclass
class Results:
    survey: Survey
    sent: dict[str, int]
    responded: dict[str, int]
    questions: list[QuestionResult]

    def rate(self, group: str = "all") -> int:
        n = self.sent.get(group, 0)
        return round(100 * self.responded.get(group, 0) / n) if n else 0

    def hidden(self, group: str) -> bool:
        """An anonymous survey's group too small to show its answers without showing whose."""
        n = self.responded.get(group, 0)
        return self.survey.anonymous and group != "all" and 0 < n < MIN_ANONYMOUS_GROUP

    @property
    def groups(self) -> list[str]:
        """The columns with anybody in them (all, new and returning always)."""
        return [g for g in GROUPS if g in ("all", "new", "returning") or self.sent.get(g)]


def _tally(rows) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for attended_as, returning, n in rows:
        for group in _groups_of(attended_as, returning):
            counts[group] += n
    return dict(counts)


def results(survey: Survey, *, with_names: bool = True, with_texts: bool = True) -> Results:
    """Every question's distribution and the free text. `with_texts=False`: distributions
    only, the free text never read (what a viewer, 委託元, may see)."""
    sent = _tally(
        db.session.execute(
            select(SurveyRecipient.attended_as, SurveyRecipient.returner, func.count())
            .where(SurveyRecipient.survey_id == survey.id)
            .group_by(SurveyRecipient.attended_as, SurveyRecipient.returner)
        )
    )
    responded = _tally(
        db.session.execute(
            select(SurveyResponse.attended_as, SurveyResponse.returner, func.count())
            .where(SurveyResponse.survey_id == survey.id)
            .group_by(SurveyResponse.attended_as, SurveyResponse.returner)
        )
    )
    choice_rows = db.session.execute(
        select(
            SurveyAnswer.question_id,
            SurveyAnswer.choice,
            SurveyResponse.attended_as,
            SurveyResponse.returner,
            func.count(),
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id, SurveyAnswer.choice.is_not(None))
        .group_by(
            SurveyAnswer.question_id,
            SurveyAnswer.choice,
            SurveyResponse.attended_as,
            SurveyResponse.returner,
        )
    ).all()
    answered_rows = db.session.execute(
        select(
            SurveyAnswer.question_id,
            SurveyResponse.attended_as,
            SurveyResponse.returner,
            func.count(func.distinct(SurveyResponse.id)),
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id)
        .group_by(SurveyAnswer.question_id, SurveyResponse.attended_as, SurveyResponse.returner)
    ).all()
    text_rows = (
        []
        if not with_texts
        else db.session.execute(
            select(SurveyAnswer.question_id, SurveyAnswer.text, User.name)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .outerjoin(User, User.id == SurveyResponse.user_id)
            .where(
                SurveyResponse.survey_id == survey.id,
                SurveyAnswer.choice.is_(None),
                SurveyAnswer.text != "",
            )
            .order_by(SurveyAnswer.question_id, SurveyAnswer.id)
        ).all()
    )

    per_question = {}
    for q in survey.questions:
        if q.kind is QuestionType.scale:
            labels = [str(SCALE_LABELS[v]) for v in SCALE]
        else:
            labels = q.options
        per_question[q.id] = QuestionResult(
            q, [Option(label) for label in labels], dict.fromkeys(GROUPS, 0)
        )
    for qid, choice, attended_as, returning, n in choice_rows:
        found = per_question.get(qid)
        if found is None:
            continue
        index = choice - 1 if found.question.kind is QuestionType.scale else choice
        if 0 <= index < len(found.options):
            for group in _groups_of(attended_as, returning):
                found.options[index].counts[group] += n
    for qid, attended_as, returning, n in answered_rows:
        if qid in per_question:
            for group in _groups_of(attended_as, returning):
                per_question[qid].answered[group] += n
    for qid, text, name in text_rows:
        found = per_question.get(qid)
        if found is not None and len(found.texts) < TEXT_SHOWN:
            shown = name if with_names and not survey.anonymous else None
            found.texts.append((text, shown))
    return Results(survey, sent, responded, list(per_question.values()))


def response_lines(survey: Survey):
    """Each response as one line for the files: (name or "", attended_as, returning,
    {question id: value text}); read in batches."""
    questions = {q.id: q for q in survey.questions}
    query = (
        select(SurveyResponse.id, SurveyResponse.attended_as, SurveyResponse.returner,
               User.name, SurveyAnswer.question_id, SurveyAnswer.choice, SurveyAnswer.text)
        .outerjoin(User, User.id == SurveyResponse.user_id)
        .outerjoin(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
        .where(SurveyResponse.survey_id == survey.id)
        .order_by(SurveyResponse.id, SurveyAnswer.id)
        .execution_options(yield_per=1000)
    )  # fmt: skip
    current, line = None, None
    for rid, attended_as, returning, name, qid, choice, text in db.session.execute(query):
        if rid != current:
            if line is not None:
                yield line
            current = rid
            line = ("" if survey.anonymous else (name or ""), attended_as, returning, {})
        q = questions.get(qid)
        if q is None:
            continue
        if choice is None:
            value = text
        elif q.kind is QuestionType.scale:
            value = choice
        else:
            options = q.options
            value = options[choice] if 0 <= choice < len(options) else ""
        answers = line[3]
        if q.kind is QuestionType.multiple and qid in answers:
            answers[qid] = f"{answers[qid]} / {value}"
        else:
            answers[qid] = value
    if line is not None:
        yield line
