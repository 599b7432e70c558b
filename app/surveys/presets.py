"""The 関係人口 set: five 5-point questions with stable keys, so that answers compare across
series and years whatever wording the organiser gives them."""

from flask_babel import lazy_gettext as _l

#: key -> the default wording (Japanese: the survey's audience), in the set's order
KAKAWARI_SET = (
    ("satisfaction", "今回の内容に満足しましたか"),
    ("come_again", "また参加したいと思いますか"),
    ("visit", "この地域を訪れたい（また訪れたい）と思いますか"),
    ("engage", "地域の活動に関わりたいと思いますか"),
    ("move", "二地域居住・移住を考えていますか"),
)
KEYS = tuple(key for key, _label in KAKAWARI_SET)
#: the programme figures: the share who answer 4 or 5 to these
FIGURE_KEYS = ("come_again", "visit", "engage", "move")
KEY_LABELS = {
    "satisfaction": _l("Satisfied"),
    "come_again": _l("Want to come again"),
    "visit": _l("Want to visit the region"),
    "engage": _l("Want to take part in local activities"),
    "move": _l("Considering living here (two-base / moving)"),
}
#: a scale answer from this value counts as "yes" in the programme figures
AGREE_FROM = 4
SCALE = (1, 2, 3, 4, 5)
SCALE_LABELS = {
    1: _l("1 — Not at all"),
    2: _l("2"),
    3: _l("3 — Neither"),
    4: _l("4"),
    5: _l("5 — Very much"),
}
