"""A series with questions and five people in every state, for the organiser pages."""

from app.events import services as events
from app.extensions import db
from app.registration import services as reg
from tests.conftest import create_user
from tests.registration.factories import make_series

PEOPLE = [
    # email, name, furigana, prefecture, mode of the hybrid session, answers (by label)
    ("sato@example.jp", "佐藤 一郎", "さとう いちろう", "13", "venue",
     {"きっかけ": "SNS", "関心": ["農業", "観光"], "メモ": "=cmd|' /C calc'!A0"}),
    ("suzuki@example.jp", "鈴木 花子", "すずき はなこ", "27", "venue", {"きっかけ": "知人"}),
    ("takahashi@example.jp", "高橋 三郎", "たかはし さぶろう", "13", "venue", {}),  # waits
    ("tanaka@example.jp", "田中 美咲", "たなか みさき", "32", "online", {"関心": ["教育"]}),
    ("ito@example.jp", "伊藤 健", "いとう けん", "13", "online", {}),  # cancels
]  # fmt: skip


def populated_series(org_id: int, **fields):
    """Session 1 hybrid (2 at the venue, 5 online), session 2 online only. Returns the series
    and {furigana: registration}: さとう and すずき confirmed at the venue, たかはし waiting for
    the venue, たなか online, いとう cancelled."""
    series = make_series(org_id, sessions=[("hybrid", 2, 5), ("online", None, None)], **fields)
    events.set_questions(
        series,
        [
            {"kind": "single", "label": "きっかけ", "options": ["SNS", "知人"]},
            {"kind": "multiple", "label": "関心", "options": ["農業", "観光", "教育"]},
            {"kind": "text", "label": "メモ"},
        ],
    )
    db.session.commit()
    ids = {q.label: str(q.id) for q in series.questions}
    registrations = {}
    for email, name, furigana, prefecture, mode, answers in PEOPLE:
        user = create_user(email, name=name, furigana=furigana, prefecture=prefecture)
        registrations[furigana.split()[0]] = reg.register(
            series,
            user,
            mode=mode,
            consent=True,
            answers={ids[label]: value for label, value in answers.items()},
        )
    reg.cancel(registrations["いとう"])
    return series, registrations
