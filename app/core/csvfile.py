"""CSV downloads for Excel, streamed: UTF-8 with a BOM first (or Excel misreads Japanese), CRLF
line ends, and the rows written as they come, a batch at a time, so that the first byte leaves
at once and memory stays flat however many rows there are.

The rows are the caller's (an iterator over a query read with `yield_per`, say); the response
keeps the request's context (and so its database session) open while it streams.
"""

import csv
import io
from collections.abc import Iterable, Iterator

from flask import Response, stream_with_context

BOM = "\ufeff"
#: a cell starting with one of these would be a formula in Excel
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: rows written into one chunk of the response
BATCH = 500


def text_cell(value) -> str:
    """Any value as text Excel shows as it is: a leading = + - @ would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def cell(value) -> str | int:
    """Numbers as numbers, text as `text_cell` makes it."""
    return value if isinstance(value, int) else text_cell(value)


def chunks(header: Iterable, rows: Iterable[Iterable], batch: int = BATCH) -> Iterator[bytes]:
    """The file in pieces: the BOM and the header at once, then `batch` rows at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write(BOM)
    writer.writerow(header)
    yield _take(out)
    pending = 0
    for row in rows:
        writer.writerow(row)
        pending += 1
        if pending == batch:
            yield _take(out)
            pending = 0
    if pending:
        yield _take(out)


def _take(out: io.StringIO) -> bytes:
    data = out.getvalue().encode("utf-8")
    out.seek(0)
    out.truncate()
    return data


def to_bytes(header: Iterable, rows: Iterable[Iterable]) -> bytes:
    """The whole file at once (small files and tests)."""
    return b"".join(chunks(header, rows))


def csv_response(
    header: Iterable, rows: Iterable[Iterable], filename: str, headers: dict | None = None
) -> Response:
    """A streamed `text/csv` attachment of the header and the rows. The BOM and the header are
    ready before the view returns; the rows are read while the response goes out, in the
    request's context."""
    parts = chunks(header, rows)
    first = next(parts)
    return Response(
        _stream(first, stream_with_context(parts)),
        mimetype="text/csv",
        headers={**(headers or {}), "Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _stream(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    # The request's context is entered at the second piece, not the first: a server may take
    # the first piece before it hands the body on (Werkzeug's test client does, in the
    # request's own context), and the context must be left where it was entered.
    yield first
    yield from rest
