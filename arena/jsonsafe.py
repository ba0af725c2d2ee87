"""JSON that is safe to keep: shallow, storable strings, finite numbers within a column's reach.

Python's parser accepts what PostgreSQL and the rest of the site cannot take: ``NaN`` and
``Infinity`` (and ``1e400``, which becomes infinity), integers of any length, lone UTF-16
surrogates (``"\\ud800"``, which no UTF-8 encoder writes) and nesting deep enough to exhaust
the interpreter's recursion limit. Each of those used to surface as a 500 somewhere downstream;
refusing them where the text is parsed gives the client one clear 400 instead.
"""

from __future__ import annotations

import json
import math
from typing import Any

#: Deeper than any request the site takes (its bodies nest three or four levels).
MAX_DEPTH = 32
#: The widest integer column (bigint); narrower columns bound their fields further.
MAX_INT = 2**63 - 1


class UnsafeJSON(ValueError):
    """Text that is not JSON, or JSON the site refuses to keep; the message says which."""


def _refuse_constant(name: str) -> Any:
    raise UnsafeJSON(f"{name} is not a number JSON allows.")


def loads(text: str | bytes) -> Any:
    """Parse and check ``text``; UnsafeJSON with a reason for anything refused."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise UnsafeJSON(f"nested deeper than {MAX_DEPTH} levels.") from None
    except UnsafeJSON:
        raise
    except (ValueError, UnicodeDecodeError) as error:
        raise UnsafeJSON(f"not valid JSON ({error}).") from None
    check(data)
    return data


def check(data: Any) -> None:
    """Walk ``data`` without recursion; UnsafeJSON for the first value the site cannot keep."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise UnsafeJSON(f"nested deeper than {MAX_DEPTH} levels.")
            items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for key, item in items:
                if key is not None:
                    _check_text(key)
                stack.append((item, depth + 1))
        elif isinstance(value, str):
            _check_text(value)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if abs(value) > MAX_INT:
                raise UnsafeJSON(f"the integer {str(value)[:30]}… is beyond 64 bits.")
        elif isinstance(value, float) and not math.isfinite(value):
            raise UnsafeJSON("numbers must be finite (no NaN or infinity).")


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafeJSON("a string holds a lone UTF-16 surrogate (not valid Unicode).") from None
