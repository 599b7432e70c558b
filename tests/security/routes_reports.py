"""Organisers' figures (series dashboard, the 年度 report and its files), for the
authorization matrix."""

from tests.registration.factories import make_series
from tests.security.routes_events import organizers

DASHBOARD = "/orgs/{org}/series/{rp_series}/dashboard"
REPORT = "/orgs/{org}/reports"

ROWS = [
    ("attendance_reports.series_dashboard", "GET", DASHBOARD, None, organizers(200)),
    # another organisation's series under this organisation's URL does not exist
    ("attendance_reports.series_dashboard", "GET", "/orgs/{org}/series/{rp_other}/dashboard",
     None, organizers(404)),
    ("attendance_reports.org_report", "GET", REPORT, None, organizers(200)),
    ("attendance_reports.org_report", "GET", REPORT + "?year=1999", None, organizers(422)),
    ("attendance_reports.org_report_csv", "GET", REPORT + "/export.csv?table=summary",
     None, organizers(200)),
    ("attendance_reports.org_report_csv", "GET", REPORT + "/export.csv?table=nope", None,
     organizers(404)),
    # files with names are POSTs (audited); an old link lands on the report page
    ("attendance_reports.org_report_csv", "GET", REPORT + "/export.csv?table=participants",
     None, organizers(302)),
    ("attendance_reports.org_report_participants_csv", "POST",
     REPORT + "/export.csv?table=participants", {}, organizers(200)),
    ("attendance_reports.org_report_xlsx_link", "GET", REPORT + "/export.xlsx", None,
     organizers(302)),
    ("attendance_reports.org_report_xlsx", "POST", REPORT + "/export.xlsx", {}, organizers(200)),
]  # fmt: skip


def targets(app, world):
    with app.app_context():
        series = make_series(world["org"], title="数字を見る講座")
        other = make_series(world["other_org"], title="ほかの団体の講座")
        return {"rp_series": series.id, "rp_other": other.id}
