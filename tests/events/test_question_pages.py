"""The custom questions editor: rows, blank rows, options, errors, answers kept on edits."""

from app.events.models import QuestionKind
from app.extensions import db
from app.registration import services as reg
from app.registration.models import Registration
from tests.conftest import create_user, login, post_form
from tests.registration.factories import make_series


def _rows(*rows, blanks=0):
    """Form data for the editor: each row a dict, then `blanks` empty rows."""
    data = {}
    for i, row in enumerate([*rows, *([{}] * blanks)]):
        data[f"questions-{i}-id"] = row.get("id", "")
        data[f"questions-{i}-kind"] = row.get("kind", "text")
        data[f"questions-{i}-label"] = row.get("label", "")
        data[f"questions-{i}-options"] = row.get("options", "")
        for box in ("required", "show_at_checkin"):
            if row.get(box):
                data[f"questions-{i}-{box}"] = "y"
    return data


def _save(client, org_id, series_id, data):
    path = f"/orgs/{org_id}/series/{series_id}/questions"
    return post_form(client, path, data, token_from=path)


def test_questions_are_saved_and_blank_rows_ignored(client, world, ctx):
    series = make_series(world["org"])
    login(client, "organizer@example.jp")
    page = client.get(f"/orgs/{world['org']}/series/{series.id}/questions").get_data(as_text=True)
    assert 'name="questions-2-label"' in page  # a few blank rows to fill
    data = _rows(
        {"kind": "single", "label": "参加のきっかけ", "options": "SNS\r\n知人の紹介\r\n\r\nチラシ"},
        {},
        {"kind": "multiple", "label": "関心のある分野", "options": "農業\n観光\n教育"},
        {"kind": "text", "label": "食事の配慮", "show_at_checkin": True, "required": True},
        blanks=2,
    )
    response = _save(client, world["org"], series.id, data)
    assert response.status_code == 302
    db.session.refresh(series)
    questions = series.questions
    assert [q.label for q in questions] == ["参加のきっかけ", "関心のある分野", "食事の配慮"]
    assert questions[0].kind is QuestionKind.single
    assert questions[0].options == ["SNS", "知人の紹介", "チラシ"]
    assert questions[2].show_at_checkin and questions[2].required
    editor = client.get(f"/orgs/{world['org']}/series/{series.id}/questions")
    html = editor.get_data(as_text=True)
    assert "関心のある分野" in html and 'name="questions-5-label"' in html  # 3 + 3 blank


def test_question_errors_are_shown_beside_their_row(client, world, ctx):
    series = make_series(world["org"])
    login(client, "organizer@example.jp")
    data = _rows(
        {"kind": "text", "label": "ご質問"},
        {},  # blank: skipped, so the service's numbering differs from the rows'
        {"kind": "single", "label": "一つだけ", "options": "はい"},
        {"kind": "multiple", "label": "", "options": "A\nB"},
        {"kind": "single", "label": "重複", "options": "A\nA"},
    )
    response = _save(client, world["org"], series.id, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="questions-2-options-error"' in html  # one option is not a choice
    assert 'id="questions-3-label-error"' in html  # options without a question
    assert 'id="questions-4-options-error"' in html  # the same option twice
    assert 'id="questions-0-label-error"' not in html
    db.session.refresh(series)
    assert series.questions == []


def test_editing_questions_keeps_the_answers_attached(client, world, ctx):
    series = make_series(world["org"])
    login(client, "organizer@example.jp")
    _save(
        client,
        world["org"],
        series.id,
        _rows({"kind": "single", "label": "きっかけ", "options": "SNS\n知人"}, {"label": "メモ"}),
    )
    db.session.refresh(series)
    first, note = series.questions
    first_id, note_id = first.id, note.id
    person = create_user("answerer@example.jp")
    registration = reg.register(
        series, person, mode="venue", consent=True, answers={str(first.id): "SNS"}
    )
    # Fix a typo, drop the second question, add a new one
    data = _rows(
        {
            "id": first.id,
            "kind": "single",
            "label": "参加のきっかけ",
            "options": "SNS\n知人\nその他",
        },
        {"label": "新しい質問"},
    )
    assert _save(client, world["org"], series.id, data).status_code == 302
    db.session.expire_all()
    series = registration.series
    labels = [(q.id == first_id, q.label) for q in series.questions]
    assert labels == [(True, "参加のきっかけ"), (False, "新しい質問")]
    assert note_id not in {q.id for q in series.questions}
    assert db.session.get(Registration, registration.id).answers == {str(first_id): "SNS"}


def test_questions_of_another_series_cannot_be_taken_over(client, world, ctx):
    mine = make_series(world["org"])
    theirs = make_series(world["other_org"], title="ほかの講座")
    reg_questions = [{"kind": "text", "label": "他団体の質問"}]
    from app.events import services as events

    events.set_questions(theirs, reg_questions)
    db.session.commit()
    foreign = theirs.questions[0].id
    login(client, "organizer@example.jp")
    _save(client, world["org"], mine.id, _rows({"id": foreign, "label": "乗っ取り"}))
    db.session.expire_all()
    assert [q.label for q in theirs.questions] == ["他団体の質問"]
    assert [q.label for q in mine.questions] == ["乗っ取り"]
    assert mine.questions[0].id != foreign
