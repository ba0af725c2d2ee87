"""Text handling for answers: style features and safe Markdown rendering."""

from __future__ import annotations

import re
from collections.abc import Iterable

import nh3
from markdown_it import MarkdownIt

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_HEADER = re.compile(r"^#{1,6}\s", re.MULTILINE)
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s", re.MULTILINE)
_BOLD = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


_NAME_SPLIT = re.compile(r"[-_ /:.]+")
#: A base name shorter than this (say "Phi" of "Phi-3") is too common a word to look for alone.
_MIN_BASE_NAME = 4


def identity_terms(name: str, organisation: str, phrases: Iterable[str]) -> list[str]:
    """What would reveal a competitor in its answer: its name, its family, its maker, phrases.

    The family is the name's first part ("Aurora" of "Aurora-70B"), since answers say "I am
    Aurora" more often than they spell out the version.
    """
    base = _NAME_SPLIT.split(name.strip(), maxsplit=1)[0]
    terms = [name.strip(), organisation.strip(), *(p.strip() for p in phrases)]
    if len(base) >= _MIN_BASE_NAME:
        terms.append(base)
    return [t for t in dict.fromkeys(terms) if t]


def identity_leak(text: str, terms: Iterable[str]) -> str:
    """The first of ``terms`` found in ``text`` as a whole word, case-insensitively; else "".

    Whole words only, so a maker called "Meta" is found in "I was made by Meta" but not in
    "metadata".
    """
    for term in terms:
        pattern = rf"(?<!\w){re.escape(term)}(?!\w)"
        if re.search(pattern, text, re.IGNORECASE):
            return term
    return ""


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
        # a long code line scrolls inside its block, which a keyboard reaches only as a tab stop
        set_tag_attribute_values={"pre": {"tabindex": "0"}},
        link_rel="nofollow noopener noreferrer",
    )
