"""JSON from outside: one parser for request bodies (the API's arguments, request.get_json) and
the live room's socket messages.

A body is refused before any view sees it when it is no JSON (`invalid_json`, 400: malformed,
not UTF-8, NaN or a number beyond a float, containers nested deeper than MAX_DEPTH), or when
its text holds control characters or lone surrogates (`validation_error`, 422, per field).
"""

import json
import math

import flask

from app.core.errors import InvalidJson, ValidationFailed
from app.core.text import unstorable_fields

#: containers inside containers: far beyond any request of the app, far short of a RecursionError
MAX_DEPTH = 32


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 decodes to inf, which no column or rule takes
        raise ValueError("number out of range")
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def decode(data: bytes | str, *, controls: bool = True):
    """A JSON document as Python values; InvalidJson when it is not one we accept (see module).
    controls=False lets control characters through (see app.core.text.unstorable)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError, JSONDecodeError included
        raise InvalidJson() from exc
    check_decoded(value, controls=controls)
    return value


def check_decoded(value, *, controls: bool = True) -> None:
    """For JSON someone else decoded (the live room's messages): InvalidJson when containers
    nest deeper than MAX_DEPTH, ValidationFailed when its text holds what cannot be stored."""
    try:
        refused = unstorable_fields(value, MAX_DEPTH, controls=controls)
    except RecursionError as exc:
        raise InvalidJson() from exc
    if refused:
        raise ValidationFailed(fields=refused)


class _BodyJSON:
    """What Flask's Request parses bodies with (its `json_module`)."""

    loads = staticmethod(decode)
    dumps = staticmethod(json.dumps)


class Request(flask.Request):
    """request.get_json() through `decode`: a body that is no JSON is `invalid_json` (with
    silent=True: None), text that cannot be stored is `validation_error`."""

    json_module = _BodyJSON

    def on_json_loading_failed(self, e):
        if isinstance(e, InvalidJson):
            raise e
        return super().on_json_loading_failed(e)
