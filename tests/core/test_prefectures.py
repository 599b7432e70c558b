import pytest

from app.core.prefectures import PREFECTURES, prefecture_code, prefecture_name


def test_there_are_47_with_unique_codes_in_order():
    assert [code for code, _, _ in PREFECTURES] == [f"{i:02d}" for i in range(1, 48)]
    assert len({ja for _, ja, _ in PREFECTURES}) == 47


@pytest.mark.parametrize(
    ("value", "code"),
    [("東京都", "13"), ("13", "13"), (13, "13"), ("1", "01"), ("JP-32", "32"), ("shimane", "32"),
     (" 北海道 ", "01"), ("48", None), ("0", None), ("東京", None), ("", None), (None, None)],
)  # fmt: skip
def test_prefecture_code_accepts_names_and_codes(value, code):
    assert prefecture_code(value) == code


def test_names_in_both_languages():
    assert prefecture_name("32", "ja") == "島根県"
    assert prefecture_name("32", "en") == "Shimane"
    assert prefecture_name("99", "ja") == ""
