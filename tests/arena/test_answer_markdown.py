"""Answers rendered from Markdown stay usable from the keyboard (issue #19, axe-core)."""

from __future__ import annotations

from arena.text import render_markdown


def test_a_code_block_can_be_scrolled_from_the_keyboard():
    # A long line scrolls inside its <pre>: without a tab stop a keyboard user cannot reach it
    # (axe rule scrollable-region-focusable, serious).
    html = render_markdown("```python\n" + "x = 1  # " + "long " * 60 + "\n```")
    assert '<pre tabindex="0">' in html


def test_a_tab_stop_is_not_accepted_from_the_answer_itself():
    html = render_markdown('<p tabindex="5">raw html</p>\n\n    indented code')
    assert "<p tabindex" not in html  # shown as text, as all raw HTML in an answer is
    assert html.count('<pre tabindex="0">') == 1
