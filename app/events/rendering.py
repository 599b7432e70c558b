"""Organisers' Markdown (series descriptions, notes) as safe HTML."""

import markdown
import nh3
from markupsafe import Markup

_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "code",
    "pre",
    "hr",
}


def render_markdown(text: str) -> Markup:
    """Organisers' Markdown as safe HTML: no script, no inline handlers, links open safely."""
    html = markdown.markdown(text or "", extensions=["sane_lists"])
    return Markup(  # noqa: S704 -- sanitised by nh3 right here  # nosec B704
        nh3.clean(
            html,
            tags=_ALLOWED_TAGS,
            attributes={"a": {"href", "title"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )
