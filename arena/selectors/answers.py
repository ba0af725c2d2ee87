"""Who answered what, for the pairing: read once per change, not once per battle.

Listing every answer of an arena (a ``DISTINCT`` over 400,000 answers took 456 ms) on every
battle served made serving slower with every upload. The answers change seldom (an upload, a
competitor switched off, a prompt set linked), so each process keeps the sheet it read, keyed
by the arena, the filters and ``AnswersVersion``: a number that database triggers on answers,
competitors, prompt sets and their links to arenas change in the writing transaction (see the
migration ``pair_vote_counts_maintained``). A request reads that one row; the sheet is read
again only when the number moved. The number comes from a sequence, so a rolled-back write
never hands its number to other data.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from arena.models import AnswersVersion, Arena, PromptSet
from arena.selectors.battles import completions_for_pairing

#: Sheets kept per process (an arena and each of its judges' filters take one; a sheet of
#: 400,000 answers holds about 60 MB, so few are kept).
CACHE_SIZE = 16

_cache: OrderedDict[tuple[object, ...], tuple[int, AnswerSheet]] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True, eq=False)
class AnswerSheet:
    """The arena's active competitors and the prompts each answered, as the pairing reads them.

    ``answered`` is ``{competitor id: {prompt id: completion id}}`` (as
    :func:`completions_for_pairing` returns it); ``ids`` its competitors in order, ``prompts``
    the prompts in column order, ``has`` which competitor answered which prompt and ``shared``
    how many prompts each two competitors both answered. Shared by every request of the
    process: never changed after it is built.
    """

    answered: dict[int, dict[int, int]]
    ids: list[int]
    column: dict[int, int]
    has: NDArray[np.float32]
    shared: NDArray[np.float32]
    prompt_sets: dict[int, frozenset[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, answered: dict[int, dict[int, int]]) -> AnswerSheet:
        ids = sorted(answered)
        prompts = sorted({p for answers in answered.values() for p in answers})
        column = {p: k for k, p in enumerate(prompts)}
        has = np.zeros((len(ids), len(prompts)), dtype=np.float32)
        for row, competitor in enumerate(ids):
            has[row, [column[p] for p in answered[competitor]]] = 1.0
        return cls(
            answered=answered,
            ids=ids,
            column=column,
            has=has,
            shared=has @ has.T,
            prompt_sets={c: frozenset(answers) for c, answers in answered.items()},
        )

    def shared_without(self, prompt_ids: Collection[int]) -> NDArray[np.float32]:
        """Prompts each two competitors both answered, leaving out ``prompt_ids``."""
        columns = [self.column[p] for p in prompt_ids if p in self.column]
        if not columns:
            return self.shared
        seen = self.has[:, columns]
        return self.shared - seen @ seen.T


def answers_version() -> int | None:
    """The number the triggers change with the answers; None when the row is missing (a
    flushed test database), which turns the cache off."""
    return AnswersVersion.objects.filter(pk=1).values_list("n", flat=True).first()


def answers_for_pairing(
    arena: Arena,
    *,
    prompt_set: PromptSet | None = None,
    category: str | None = None,
    competitor_ids: Collection[int] | None = None,
) -> AnswerSheet:
    """:func:`completions_for_pairing` as a sheet, from this process's cache while current."""
    version = answers_version()
    key = (
        arena.pk,
        None if prompt_set is None else prompt_set.pk,
        category,
        None if competitor_ids is None else tuple(sorted(competitor_ids)),
    )
    if version is not None:
        with _lock:
            found = _cache.get(key)
            if found is not None and found[0] == version:
                _cache.move_to_end(key)
                return found[1]
    sheet = AnswerSheet.of(
        dict(
            completions_for_pairing(
                arena, prompt_set=prompt_set, category=category, competitor_ids=competitor_ids
            )
        )
    )
    if version is not None:
        with _lock:
            _cache[key] = (version, sheet)
            _cache.move_to_end(key)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return sheet
