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
