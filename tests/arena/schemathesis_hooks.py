"""schemathesis hooks for the API fuzz test (loaded through ``SCHEMATHESIS_HOOKS``).

Uploads are JSON Lines (``application/x-ndjson``), which schemathesis cannot serialise by
itself; its schema can only say "a string". This strategy gives it well-formed upload bodies of
one to four lines (a model, a prompt with its question id, or both on one line), so that the
upload endpoints are exercised by every phase instead of being reported as "serialization not
possible". Malformed uploads are the route-junk test's and the upload tests' business.
"""

from __future__ import annotations

import json

import schemathesis
from hypothesis import strategies as st

_NAME = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FF, exclude_characters="\x7f"),
    min_size=1,
    max_size=40,
).filter(lambda t: t.strip() != "")
_MODEL = st.fixed_dictionaries({"model": _NAME})
_PROMPT = st.fixed_dictionaries({"question_id": _NAME, "prompt": _NAME})
_BOTH = st.fixed_dictionaries({"model": _NAME, "question_id": _NAME, "prompt": _NAME})
NDJSON = st.lists(st.one_of(_MODEL, _PROMPT, _BOTH).map(json.dumps), min_size=1, max_size=4).map(
    lambda lines: "\n".join(lines).encode()
)

schemathesis.openapi.media_type("application/x-ndjson", NDJSON)
