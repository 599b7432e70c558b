"""Cleaning free text from outside before it reaches the database."""

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def has_control_chars(text: str) -> bool:
    return bool(_CONTROL.search(text))


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
