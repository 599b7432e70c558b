"""事後アンケート: surveys after a session or a series, sent to the people whose attendance shows
they took part, answered through a personal signed link, with results for organisers and the
programme figures (want to come again / visit / move) on the series dashboard and 年度 report.

Surveys read attendance; attendance never imports them (its figures pages show the survey
figures through app.attendance.sections, registered by app.surveys.programme)."""
