"""The participant list as a CSV file for Excel (a row a person, per session how they attend
and their status, a column per question), streamed through app.core.csvfile:
`participants_csv_header()` and `participants_csv_rows()` read the people `csvfile.BATCH` at a
time (yield_per: a server-side cursor on PostgreSQL), each batch with its places, relations
and waitlist positions in three more queries, so memory stays flat and the number of queries
does not grow with the people (only with the batches). `participants_csv()` builds the same
bytes at once from a list already loaded."""

from collections.abc import Iterable, Iterator

from flask_babel import gettext as _

from app.core import csvfile
from app.core.prefectures import RELATIONS, prefecture_name
from app.core.timefmt import to_local
from app.events.models import Series
from app.extensions import db
from app.registration.models import Registration
from app.registration.participant_list import (
    DEFAULT_SORT,
    SOURCE_LABELS,
    Filters,
    mail_address,
    participants_query,
    status_label,
    waitlist_positions,
)
from app.registration.places import mode_label
from app.registration.signals import export_columns


def _answer(value) -> str:
    return " / ".join(value) if isinstance(value, list) else str(value or "")


def _providers(series: Series) -> list:
    """Columns other areas add to each session (export_columns), e.g. archive viewing."""
    return [provider for _receiver, provider in export_columns.send(series) if provider]


def participants_csv_header(series: Series) -> list[str]:
    """The person's columns, two a session, one a question (the series' sessions and questions
    are loaded here, once)."""
    header = [
        _("Name"),
        _("Furigana"),
        _("Email"),
        _("Prefecture"),
        _("Relations"),
        _("Status"),
        _("Registered at"),
        _("Registered by"),
    ]
    for s in series.sessions:
        header += [
            _("%(session)s: how they attend", session=s.title),
            _("%(session)s: status", session=s.title),
        ]
        header += [provider.header(s) for provider in _providers(series)]
    header += [q.label for q in series.questions]
    return [csvfile.text_cell(h) for h in header]


def _row(series: Series, r: Registration, positions: dict[int, int], extra=()) -> list[str]:
    user = r.user
    row = [
        user.name,
        user.furigana,
        mail_address(user) or "",
        prefecture_name(user.prefecture),
        " / ".join(str(RELATIONS[code]) for code in user.relations),
        status_label(r.status),
        to_local(r.created_at).strftime("%Y-%m-%d %H:%M"),
        str(SOURCE_LABELS.get(r.source, r.source)),
    ]
    for s in series.sessions:
        place = r.place_for(s.id)
        if place is None:
            row += ["", ""]
        else:
            status = status_label(place.status)
            if place.id in positions:
                status += f" ({positions[place.id]})"
            row += [str(mode_label(place.mode)), status]
        row += [values.get((s.id, r.user_id), "") for values in extra]
    row += [_answer(r.answers.get(str(q.id))) for q in series.questions]
    return [csvfile.text_cell(c) for c in row]


def _rows_of(series: Series, registrations: Iterable[Registration]) -> Iterator[list[str]]:
    registrations = list(registrations)
    positions = waitlist_positions(registrations)
    extra = [provider.values(series, registrations) for provider in _providers(series)]
    return (_row(series, r, positions, extra) for r in registrations)


def participants_csv_rows(
    series: Series, filters: Filters, sort: str = DEFAULT_SORT, batch: int = csvfile.BATCH
) -> Iterator[list[str]]:
    """The rows of the people `filters` choose, in the order `sort`, read `batch` at a time."""
    query = participants_query(series, filters, sort).execution_options(yield_per=batch)
    for registrations in db.session.scalars(query).partitions():
        yield from _rows_of(series, registrations)


def participants_csv(series: Series, registrations: list[Registration]) -> bytes:
    """The list as CSV for Excel, all at once: UTF-8 with a BOM (or Excel misreads Japanese),
    a row a person, per session how they attend and their status, a column per question."""
    return csvfile.to_bytes(participants_csv_header(series), _rows_of(series, registrations))
