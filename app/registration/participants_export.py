"""The participant list as a CSV file for Excel (a row a person, per session how they attend
and their status, a column per question)."""

import csv
import io

from flask_babel import gettext as _

from app.core.prefectures import RELATIONS, prefecture_name
from app.core.timefmt import to_local
from app.events.models import Series
from app.registration.models import Registration
from app.registration.participant_list import (
    SOURCE_LABELS,
    mail_address,
    status_label,
    waitlist_positions,
)
from app.registration.places import mode_label


def _cell(value) -> str:
    """Text as Excel should show it: a leading = + - @ would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _answer(value) -> str:
    return " / ".join(value) if isinstance(value, list) else str(value or "")


def participants_csv(series: Series, registrations: list[Registration]) -> bytes:
    """The list as CSV for Excel: UTF-8 with a BOM (or Excel misreads Japanese), a row a
    person, per session how they attend and their status, a column per question."""
    positions = waitlist_positions(registrations)
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
    header += [q.label for q in series.questions]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(h) for h in header])
    for r in registrations:
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
                continue
            status = status_label(place.status)
            if place.id in positions:
                status += f" ({positions[place.id]})"
            row += [str(mode_label(place.mode)), status]
        row += [_answer(r.answers.get(str(q.id))) for q in series.questions]
        writer.writerow([_cell(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
