"""One helper formats every time: stored UTC, shown in Asia/Tokyo the Japanese way."""

from datetime import UTC, datetime

import pytest

from app.core.timefmt import format_date, format_datetime, format_span

START = datetime(2026, 8, 24, 4, 30, tzinfo=UTC)  # 13:30 in Tokyo, a Monday there
END = datetime(2026, 8, 24, 8, 30, tzinfo=UTC)


def test_japanese_span():
    assert format_span(START, END, "ja") == "2026年8月24日(月) 13:30〜17:30"


def test_english_span():
    assert format_span(START, END, "en") == "Mon 24 Aug 2026, 13:30–17:30"


def test_span_across_midnight_in_tokyo_repeats_the_date():
    late = datetime(2026, 8, 24, 12, 0, tzinfo=UTC)  # 21:00 JST
    next_day = datetime(2026, 8, 24, 16, 0, tzinfo=UTC)  # 01:00 JST on the 25th
    assert format_span(late, next_day, "ja") == "2026年8月24日(月) 21:00〜2026年8月25日(火) 01:00"


def test_utc_evening_is_already_the_next_day_in_tokyo():
    dt = datetime(2026, 8, 23, 15, 0, tzinfo=UTC)  # 00:00 JST on the 24th
    assert format_date(dt, "ja") == "2026年8月24日(月)"
    assert format_datetime(dt, "en") == "Mon 24 Aug 2026, 00:00"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        format_date(datetime(2026, 8, 24, 13, 30), "ja")


def test_filters_follow_the_request_language(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert app.jinja_env.from_string("{{ t|datetime }}").render(t=START) == (
            "Mon 24 Aug 2026, 13:30"
        )
    with app.test_request_context():
        assert app.jinja_env.from_string("{{ format_span(a, b) }}").render(a=START, b=END) == (
            "2026年8月24日(月) 13:30〜17:30"
        )
