"""The 47 都道府県 with their JIS X 0401 codes, and how a person relates to a region."""

from flask import has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

# (JIS code, Japanese name, English name)
PREFECTURES: tuple[tuple[str, str, str], ...] = (
    ("01", "北海道", "Hokkaido"), ("02", "青森県", "Aomori"), ("03", "岩手県", "Iwate"),
    ("04", "宮城県", "Miyagi"), ("05", "秋田県", "Akita"), ("06", "山形県", "Yamagata"),
    ("07", "福島県", "Fukushima"), ("08", "茨城県", "Ibaraki"), ("09", "栃木県", "Tochigi"),
    ("10", "群馬県", "Gunma"), ("11", "埼玉県", "Saitama"), ("12", "千葉県", "Chiba"),
    ("13", "東京都", "Tokyo"), ("14", "神奈川県", "Kanagawa"), ("15", "新潟県", "Niigata"),
    ("16", "富山県", "Toyama"), ("17", "石川県", "Ishikawa"), ("18", "福井県", "Fukui"),
    ("19", "山梨県", "Yamanashi"), ("20", "長野県", "Nagano"), ("21", "岐阜県", "Gifu"),
    ("22", "静岡県", "Shizuoka"), ("23", "愛知県", "Aichi"), ("24", "三重県", "Mie"),
    ("25", "滋賀県", "Shiga"), ("26", "京都府", "Kyoto"), ("27", "大阪府", "Osaka"),
    ("28", "兵庫県", "Hyogo"), ("29", "奈良県", "Nara"), ("30", "和歌山県", "Wakayama"),
    ("31", "鳥取県", "Tottori"), ("32", "島根県", "Shimane"), ("33", "岡山県", "Okayama"),
    ("34", "広島県", "Hiroshima"), ("35", "山口県", "Yamaguchi"), ("36", "徳島県", "Tokushima"),
    ("37", "香川県", "Kagawa"), ("38", "愛媛県", "Ehime"), ("39", "高知県", "Kochi"),
    ("40", "福岡県", "Fukuoka"), ("41", "佐賀県", "Saga"), ("42", "長崎県", "Nagasaki"),
    ("43", "熊本県", "Kumamoto"), ("44", "大分県", "Oita"), ("45", "宮崎県", "Miyazaki"),
    ("46", "鹿児島県", "Kagoshima"), ("47", "沖縄県", "Okinawa"),
)  # fmt: skip

_BY_CODE = {code: (ja, en) for code, ja, en in PREFECTURES}
_BY_JA = {ja: code for code, ja, _ in PREFECTURES}
_BY_EN = {en.lower(): code for code, _, en in PREFECTURES}


def prefecture_code(value) -> str | None:
    """The JIS code for 東京都, 13, "13", JP-13 or Tokyo; None when it names no prefecture."""
    if value is None:
        return None
    text = str(value).strip()
    if text.upper().startswith("JP-"):
        text = text[3:]
    if text.isdigit() and len(text) <= 2:
        text = text.zfill(2)
        return text if text in _BY_CODE else None
    return _BY_JA.get(text) or _BY_EN.get(text.lower())


def prefecture_name(code: str | None, lang: str | None = None) -> str:
    if code not in _BY_CODE:
        return ""
    if lang is None:
        locale = get_locale() if has_request_context() else None
        lang = locale.language if locale else "ja"
    ja, en = _BY_CODE[code]
    return ja if lang == "ja" else en


def prefecture_choices() -> list[tuple[str, str]]:
    return [(code, prefecture_name(code)) for code, _, _ in PREFECTURES]


# How a person relates to a region (関係人口の関わり方); codes are the API's vocabulary.
RELATIONS: dict[str, object] = {
    "origin": _l("Hometown"),
    "former_resident": _l("Lived there before"),
    "work": _l("Work"),
    "interest": _l("Interest"),
    "other": _l("Other"),
}


def relation_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in RELATIONS.items()]
