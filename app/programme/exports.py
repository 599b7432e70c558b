"""The programme's aggregates as a CSV (UTF-8 with a BOM, Japanese column names, whatever the
page's language), every figure as the page shows it: "<5" for groups of fewer than 5 people."""

from flask_babel import force_locale

from app.attendance.report_exports import KPI_LABELS
from app.core.csvfile import cell
from app.core.prefectures import prefecture_name
from app.programme.figures import ProgrammeYear
from app.surveys.presets import KEY_LABELS

HEADER = ("年度", "区分", "主催団体", "項目", "数値")
SUM = "合計"
_KPI = dict(KPI_LABELS)


def rows(view: ProgrammeYear):
    names = [o.org.name for o in view.orgs]
    year = view.year

    def across(section, label, row):
        for name, shown in zip(names, row.cells, strict=True):
            yield (year, section, name, label, cell(shown.json()))
        yield (year, section, SUM, label, cell(row.sum.json()))

    for row in view.kpis:
        yield from across("主要指標", _KPI[row.key], row)
    for row in view.prefectures:
        yield from across("都道府県別 参加者数", prefecture_name(row.key, "ja") or "不明", row)
    for row in view.survey:
        label = f"{_ja(KEY_LABELS[row.key])}（4・5と回答した割合）"
        yield from across("関係人口アンケート", label, row)
    for org in view.orgs:
        for line in org.series:
            for what, shown in (
                ("年度内の回数", line.sessions),
                ("参加者数", line.participants.json()),
                ("修了者数", line.completions.json()),
                ("アーカイブ視聴者数", line.archive_viewers.json()),
            ):
                yield (year, "講座別", org.org.name, f"{line.title}：{what}", cell(shown))


def _ja(label) -> str:
    with force_locale("ja"):
        return str(label)
