"""Text handling for answers: style features and safe Markdown rendering."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_HEADER = re.compile(r"^#{1,6}\s", re.MULTILINE)
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s", re.MULTILINE)
_BOLD = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def style_features(text: str) -> dict[str, int]:
    """Length and Markdown counts, as style control uses them (arena-hard's definitions).

    Fenced code is left out of the Markdown counts, so a '#' comment in code is not a header.
    ``n_tokens`` counts words and punctuation marks, a tokenizer-free stand-in for model tokens.
    """
    prose = _FENCE.sub("", text)
    return {
        "n_chars": len(text),
        "n_tokens": len(_TOKEN.findall(text)),
        "header_count": len(_HEADER.findall(prose)),
        "list_count": len(_LIST.findall(prose)),
        "bold_count": len(_BOLD.findall(prose)),
    }


# Raw HTML in an answer is shown as text (html=False), never passed to the page; nh3 then
# removes anything unexpected that Markdown itself could produce, such as javascript: links.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}


def render_markdown(text: str) -> str:
    """Answer Markdown as sanitised HTML: readable code blocks, no script, no event handlers."""
    html = _MARKDOWN.render(text)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
