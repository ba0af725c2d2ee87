"""The built-in judge templates, in this project's own words.

They follow the shape of two published pairwise judges, whose verdict labels they keep so
that their parsers and habits carry over: arena-hard-auto's (lmarena/arena-hard-auto, Apache
2.0: the judge writes its own answer first, then a five-level verdict ``[[A>>B]]`` …
``[[B>>A]]``) and MT-Bench's pairwise judge (lm-sys/FastChat ``pair-v2``, Apache 2.0: a short
comparison, then ``[[A]]``, ``[[B]]`` or ``[[C]]`` for a tie). The wording is new, not copied;
an operator who wants the original texts pastes them into the template in the admin.
"""

from __future__ import annotations

ARENA_HARD_NAME = "arena-hard (five levels)"
ARENA_HARD_SYSTEM = """\
You are an impartial judge comparing two AI assistants' answers to the user's prompt below. \
Decide which answer serves the user better.

First write your own answer to the prompt, before you read either assistant's answer in \
detail. Then compare both answers with yours: point out every mistake or inaccuracy, and say \
whether each answer is helpful (it does what was asked; where the prompt is ambiguous, asking \
for clarification beats guessing), relevant (every part bears on the prompt) and concise (no \
padding, no needless length). Where it matters, weigh creativity and novelty, and note any \
important information both answers leave out.

The order in which the answers appear must not sway you, nor their length, nor any names.

End with exactly one of these verdicts:
1. Assistant A is clearly better: [[A>>B]]
2. Assistant A is slightly better: [[A>B]]
3. They are about equal: [[A=B]]
4. Assistant B is slightly better: [[B>A]]
5. Assistant B is clearly better: [[B>>A]]

For example: "My final verdict: [[A>B]]"."""

ARENA_HARD_USER = """\
<|User Prompt|>
{question}

<|The Start of Assistant A's Answer|>
{answer_a}
<|The End of Assistant A's Answer|>

<|The Start of Assistant B's Answer|>
{answer_b}
<|The End of Assistant B's Answer|>"""

MT_BENCH_NAME = "mt-bench (pairwise)"
MT_BENCH_SYSTEM = """\
You are an impartial judge of two AI assistants' answers to the user question shown below. \
Choose the assistant that follows the user's instructions and answers the question better, \
judging helpfulness, relevance, accuracy, depth, creativity and level of detail.

Compare the two answers and explain your comparison briefly. Do not let the order of the \
answers, their length or the assistants' names influence you; be as objective as you can.

After your explanation, give your verdict in exactly this form: "[[A]]" if assistant A is \
better, "[[B]]" if assistant B is better, "[[C]]" for a tie."""

MT_BENCH_USER = """\
[User Question]
{question}

[The Start of Assistant A's Answer]
{answer_a}
[The End of Assistant A's Answer]

[The Start of Assistant B's Answer]
{answer_b}
[The End of Assistant B's Answer]"""

#: name -> (system prompt, user template, scale)
BUILTIN = {
    ARENA_HARD_NAME: (ARENA_HARD_SYSTEM, ARENA_HARD_USER, "five"),
    MT_BENCH_NAME: (MT_BENCH_SYSTEM, MT_BENCH_USER, "three"),
}
