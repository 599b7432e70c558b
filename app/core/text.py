"""Cleaning free text from outside before it reaches the database."""

import re
import unicodedata

from flask_babel import lazy_gettext as _l

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: what text from outside may never hold: control characters other than tab and line breaks,
#: and lone UTF-16 surrogates (JSON's "\ud800" decodes to one; no database or encoder takes it)
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: the one message for text refused by `unstorable`, beside its field
UNSTORABLE_MESSAGE = _l("Remove the control characters or broken characters from this text.")


def has_control_chars(text: str) -> bool:
    """Control characters, tab and line breaks included, or lone surrogates."""
    return bool(_CONTROL.search(text))


def unstorable(text: str, *, controls: bool = True) -> bool:
    """Text from outside that is refused wherever it arrives (forms, API, live room): control
    characters other than tab, newline and carriage return, or lone surrogates. With
    controls=False only lone surrogates (for input that answers any text itself, e.g. what a
    scanner read from a QR code)."""
    return bool((_UNSTORABLE if controls else _SURROGATE).search(text))


def unstorable_fields(value, max_depth: int, *, controls: bool = True) -> dict[str, list]:
    """The fields of a decoded JSON value (an object's top-level keys; `_json` for the rest)
    whose strings, keys included, are `unstorable`; raises RecursionError when containers nest
    deeper than `max_depth`. Walks without recursion, so any depth is safe to look at."""
    refused: dict[str, list] = {}
    stack = [(value, None, 1)]
    while stack:
        item, field, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise RecursionError("JSON nested too deeply")
            pairs = item.items() if isinstance(item, dict) else ((None, v) for v in item)
            for key, child in pairs:
                bad_key = isinstance(key, str) and unstorable(key, controls=controls)
                name = field
                if field is None and depth == 1 and isinstance(item, dict):
                    name = "_json" if bad_key else key
                if bad_key:
                    refused[name or "_json"] = [UNSTORABLE_MESSAGE]
                stack.append((child, name, depth + 1))
        elif isinstance(item, str) and unstorable(item, controls=controls):
            refused[field or "_json"] = [UNSTORABLE_MESSAGE]
    return refused


def single_line(value, max_length: int) -> str:
    """NFKC-normalised text on one line with single spaces; ValueError when it is empty, too
    long or holds control characters (PostgreSQL refuses NUL, and nobody types one)."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    if has_control_chars(text.replace("\t", " ").replace("\n", " ").replace("\r", " ")):
        raise ValueError("control characters")
    text = " ".join(text.split())
    if not text or len(text) > max_length:
        raise ValueError("empty or too long")
    return text


def printable(value, max_length: int) -> str:
    """For logging what someone typed (e.g. a failed login's email): never fails."""
    return _CONTROL.sub("", str(value or ""))[:max_length]


def like_pattern(text: str) -> str:
    """A LIKE pattern for "contains `text`", with LIKE's own characters taken literally
    (use with escape="\\")."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def to_hiragana(text: str) -> str:
    """Katakana to hiragana, so ヤマダ finds the reading やまだ."""
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


def name_matches(name_column, furigana_column, email_column, query: str):
    """A person's name, reading (in either kana) or email contains the query; spaces in the
    query and the names do not matter. Without an email column, names and readings only."""
    from sqlalchemy import func, or_

    words = query.replace(" ", "")
    found = [
        func.replace(name_column, " ", "").ilike(like_pattern(words), escape="\\"),
        func.replace(furigana_column, " ", "").like(like_pattern(to_hiragana(words)), escape="\\"),
    ]
    if email_column is not None:
        found.append(email_column.ilike(like_pattern(words), escape="\\"))
    return or_(*found)
