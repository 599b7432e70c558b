"""The public portal's search (ways to take part): every organisation's published series,
filtered in SQL and paged, in a constant number of queries (count, page, its sessions and
organisations)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from app.core.paging import PageWindow, page_number
from app.core.prefectures import PREFECTURES
from app.core.timefmt import TOKYO
from app.core.types import utcnow
from app.events.models import (
    Series,
    SeriesStatus,
    Session,
    SessionFormat,
    SessionStatus,
    SessionVenue,
    Theme,
)
from app.extensions import db
from app.orgs.models import Organization

PER_PAGE = 20
MAX_KEYWORD = 100


@dataclass(frozen=True)
class Search:
    keyword: str = ""
    prefecture: str | None = None
    org_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    online: bool = False
    open_only: bool = False
    fmt: SessionFormat | None = None
    theme: Theme | None = None
    #: 近くの会場: a session still to come at a venue in one of these prefectures
    near: tuple[str, ...] = ()
    finished: bool = False


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _held():
    return and_(Session.series_id == Series.id, Session.status == SessionStatus.scheduled)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, TOKYO).astimezone(UTC)


def _conditions(search: Search, now: datetime) -> list:
    where = [Series.status == SeriesStatus.published]
    upcoming = exists().where(_held(), Session.ends_at > now)
    where.append(~upcoming if search.finished else upcoming)
    if search.keyword:
        pattern = _like(search.keyword)
        words = [
            Series.title.ilike(pattern, escape="\\"),
            Series.description.ilike(pattern, escape="\\"),
            Series.municipality.ilike(pattern, escape="\\"),
            Organization.name.ilike(pattern, escape="\\"),
        ]
        codes = [c for c, ja, en in PREFECTURES if search.keyword in ja or search.keyword == en]
        if codes:
            words.append(Series.prefecture.in_(codes))
        where.append(or_(*words))
    if search.prefecture:
        where.append(Series.prefecture == search.prefecture)
    if search.near:
        # a venue's prefecture is read from its address (「島根県松江市…」): full names such as
        # 京都府 and 東京都 never contain one another
        names = [ja for code, ja, _en in PREFECTURES if code in search.near]
        at = [SessionVenue.address.like(_like(name), escape="\\") for name in names]
        where.append(
            exists().where(
                _held(), Session.ends_at > now, SessionVenue.session_id == Session.id, or_(*at)
            )
        )
    if search.theme is not None:
        where.append(Series.theme == search.theme)
    if search.org_id is not None:
        where.append(Series.org_id == search.org_id)
    if search.online:
        online = Session.format.in_([SessionFormat.online, SessionFormat.hybrid])
        where.append(exists().where(_held(), online))
    if search.fmt:
        where.append(exists().where(_held(), Session.format == search.fmt))
    if search.date_from or search.date_to:
        span = [_held()]
        if search.date_from:
            span.append(Session.starts_at >= _day_start(search.date_from))
        if search.date_to:
            span.append(Session.starts_at < _day_start(search.date_to + timedelta(days=1)))
        where.append(exists().where(*span))
    if search.open_only:
        where += [
            or_(Series.registration_opens_at.is_(None), Series.registration_opens_at <= now),
            or_(Series.registration_closes_at.is_(None), Series.registration_closes_at > now),
            Series.lottery_drawn_at.is_(None),
        ]
    return where


def search_series(search: Search, page: int = 1, per_page: int = PER_PAGE, now=None):
    """(series on the page, PageWindow): current ones soonest first, finished ones latest first."""
    now = now or utcnow()
    where = _conditions(search, now)
    base = select(Series).join(Organization, Organization.id == Series.org_id).where(*where)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    window = PageWindow(page_number(page, total, per_page), per_page, total)
    if search.finished:
        last = select(func.max(Session.starts_at)).where(_held()).scalar_subquery()
        order = [last.desc(), Series.id.desc()]
    else:
        soonest = (
            select(func.min(Session.starts_at))
            .where(_held(), Session.ends_at > now)
            .scalar_subquery()
        )
        order = [soonest.asc(), Series.id]
    rows = db.session.scalars(
        base.order_by(*order)
        .offset(window.offset)
        .limit(per_page)
        .options(
            selectinload(Series.sessions).selectinload(Session.venues),
            selectinload(Series.org),
        )
    ).all()
    return list(rows), window


def current_counts(now=None) -> dict[str, int]:
    """Prefecture code -> how many current programmes the search finds there (one query)."""
    now = now or utcnow()
    query = (
        select(Series.prefecture, func.count())
        .join(Organization, Organization.id == Series.org_id)
        .where(*_conditions(Search(), now), Series.prefecture.is_not(None))
        .group_by(Series.prefecture)
    )
    return {code: n for code, n in db.session.execute(query).all()}


# 地方: the usual eight regions, by JIS code range, for the list of links by region.
REGIONS: tuple[tuple[str, str, range], ...] = (
    ("北海道", "Hokkaido", range(1, 2)),
    ("東北", "Tohoku", range(2, 8)),
    ("関東", "Kanto", range(8, 15)),
    ("中部", "Chubu", range(15, 24)),
    ("近畿", "Kinki", range(24, 31)),
    ("中国", "Chugoku", range(31, 36)),
    ("四国", "Shikoku", range(36, 40)),
    ("九州・沖縄", "Kyushu and Okinawa", range(40, 48)),
)


# The tile map of /series: each prefecture's square as (code, column, row) on a 13 × 12 grid,
# laid out roughly as Japan is (Hokkaido top right, Okinawa bottom left).
TILES: tuple[tuple[str, int, int], ...] = (
    ("01", 12, 0), ("02", 12, 2), ("05", 11, 3), ("03", 12, 3), ("06", 11, 4), ("04", 12, 4),
    ("17", 8, 5), ("16", 9, 5), ("15", 10, 5), ("07", 11, 5),
    ("32", 3, 6), ("31", 4, 6), ("28", 5, 6), ("26", 6, 6), ("18", 7, 6), ("21", 8, 6),
    ("20", 9, 6), ("10", 10, 6), ("09", 11, 6), ("08", 12, 6),
    ("35", 2, 7), ("34", 3, 7), ("33", 4, 7), ("27", 5, 7), ("29", 6, 7), ("25", 7, 7),
    ("23", 8, 7), ("19", 9, 7), ("11", 10, 7), ("13", 11, 7), ("12", 12, 7),
    ("41", 0, 8), ("40", 1, 8), ("38", 3, 8), ("37", 4, 8), ("30", 5, 8), ("24", 6, 8),
    ("22", 8, 8), ("14", 10, 8),
    ("42", 0, 9), ("43", 1, 9), ("44", 2, 9), ("39", 3, 9), ("36", 4, 9),
    ("46", 1, 10), ("45", 2, 10),
    ("47", 0, 11),
)  # fmt: skip


def region_index(code: str) -> int:
    """0 (北海道) to 7 (九州・沖縄): which 地方 a prefecture's tile is coloured as."""
    return next(i for i, (_ja, _en, r) in enumerate(REGIONS) if int(code) in r)


def tile_map(counts: dict[str, int]) -> list[dict]:
    """The tiles in JIS order (so reading order and Tab follow the codes), each with its place
    on the grid, its 地方 and its number of current programmes."""
    return [
        {"code": code, "col": col + 1, "row": row + 1, "region": region_index(code),
         "count": counts.get(code, 0)}
        for code, col, row in sorted(TILES)
    ]  # fmt: skip


def near_codes(code: str | None, region: bool) -> tuple[str, ...]:
    """The prefectures 「近くの会場」 looks in: the one, or every one of its 地方."""
    if not code:
        return ()
    if not region:
        return (code,)
    index = region_index(code)
    return tuple(f"{n:02d}" for n in REGIONS[index][2])


def short_prefecture(name: str) -> str:
    """島根県 → 島根, 東京都 → 東京, 北海道 stays (for a tile); English names stay."""
    if name != "北海道" and name[-1:] in ("都", "府", "県"):
        return name[:-1]
    return name


def regions(lang: str = "ja") -> list[tuple[str, list[str]]]:
    """[(region name, [prefecture codes])] in JIS order."""
    return [(ja if lang == "ja" else en, [f"{n:02d}" for n in codes]) for ja, en, codes in REGIONS]


def region_of(code: str | None, lang: str = "ja") -> str | None:
    """The 地方 a prefecture belongs to (None without one)."""
    if not code or not code.isdigit():
        return None
    return next((ja if lang == "ja" else en for ja, en, r in REGIONS if int(code) in r), None)


def open_for_entry(series: Series, now: datetime) -> bool:
    """What the `open_only` filter asks, for one series already found."""
    opens, closes = series.registration_opens_at, series.registration_closes_at
    return (
        (opens is None or opens <= now)
        and (closes is None or closes > now)
        and series.lottery_drawn_at is None
    )


def organisation(org_id: int) -> Organization | None:
    """An organisation with at least one published series (others have no public page)."""
    found = exists().where(Series.org_id == org_id, Series.status == SeriesStatus.published)
    return db.session.scalar(select(Organization).where(Organization.id == org_id, found))
