"""``python -m ratings replay VOTES --policy P --budget V --seed S --json``: a policy on real votes.

The policy picks a pair (among the pairs with votes left) and a prompt, and the replayer hands
it the next unused real vote for that choice; after ``--budget`` votes (or when none are left)
the Bradley–Terry ranking of the chosen votes is compared with the one from all votes (Kendall
τ and Spearman ρ over the competitors both rank). Prompts are chosen at random among those the
pair has votes on, or (``--prompts prioritised``) by :func:`ratings.core.pairing.prompts.
prompt_probabilities`: the pair's two completions most different (word-set Jaccard distance of
the answer texts, from ``--answers``, default ``answers.jsonl`` beside the votes; without texts,
the difference in answer length ``len_*`` or ``tokens_*`` when the votes carry it) and
the fewest ties and both-bad verdicts so far, a share at random. A tournament format plays its
matches on the votes the same way; a match with no vote left is settled by the format's coin
and counted, not voted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import kendalltau, spearmanr

from ratings.core import bradley_terry, covariance
from ratings.core.pairing.policies import POLICIES, POLICY, PairingState, pairs_of
from ratings.core.pairing.prompts import RANDOM_SHARE, prompt_probabilities
from ratings.core.pairing.tournaments import FORMATS, bracket_pending, bracket_record, bracket_start
from ratings.core.textsim import text_dissimilarity
from ratings.core.types import Comparisons, Outcome
from ratings.engine.votefile import WINNERS, VoteFileError, VoteFilter, iter_records

TIES = (int(Outcome.TIE), int(Outcome.BOTH_BAD))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``replay``."""
    parser.add_argument("votes", type=Path, help="vote file, JSON Lines, optionally .gz")
    parser.add_argument("--policy", choices=POLICIES + FORMATS, required=True)
    parser.add_argument("--budget", type=int, default=3000, help="votes to replay")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--refit", type=int, default=250, help="votes between refits")
    parser.add_argument("--prompts", choices=("random", "prioritised"), default="random")
    parser.add_argument("--random-share", type=float, default=RANDOM_SHARE)
    parser.add_argument("--answers", type=Path, help="answer texts (model, question_id, answer)")
    parser.add_argument(
        "--where", action="append", default=[], metavar="FIELD=VALUE", help="keep only these"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


class Pool:
    """The real votes by pair and prompt, each handed out once, in a seeded order."""

    def __init__(self, records: list[dict[str, Any]], rng: np.random.Generator) -> None:
        self.names = tuple(
            sorted({r["model_a"] for r in records} | {r["model_b"] for r in records})
        )
        index = {name: k for k, name in enumerate(self.names)}
        self.left: dict[tuple[int, int], dict[str, list[dict[str, Any]]]] = defaultdict(dict)
        for k in rng.permutation(len(records)):
            r = records[int(k)]
            a, b = index[r["model_a"]], index[r["model_b"]]
            self.left[(min(a, b), max(a, b))].setdefault(str(r["question_id"]), []).append(r)
        self.index = index

    def prompts(self, i: int, j: int) -> list[str]:
        """The prompts on which pair (i, j), i < j, still has votes."""
        return [q for q, votes in self.left.get((i, j), {}).items() if votes]

    def take(self, i: int, j: int, prompt: str) -> tuple[int, int, int]:
        """The next vote of the pair on the prompt: ``(a, b, outcome)``."""
        r = self.left[(i, j)][prompt].pop()
        return self.index[r["model_a"]], self.index[r["model_b"]], int(WINNERS[r["winner"]])


def dissimilarities(
    records: list[dict[str, Any]], answers: Path | None
) -> dict[tuple[str, str, str], float]:
    """``(model, model, prompt) → dissimilarity``, both orders, from texts or lengths."""
    out: dict[tuple[str, str, str], float] = {}
    if answers is not None and answers.is_file():
        texts: dict[tuple[str, str], str] = {}
        for line in answers.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts[(row["model"], str(row["question_id"]))] = row["answer"]
        for r in records:
            q = str(r["question_id"])
            x, y = texts.get((r["model_a"], q)), texts.get((r["model_b"], q))
            if x is not None and y is not None:
                out[(r["model_a"], r["model_b"], q)] = text_dissimilarity(x, y)
    for r in records:  # lengths where no texts: the relative difference, in [0, 1]
        key = (r["model_a"], r["model_b"], str(r["question_id"]))
        for field in ("len", "tokens"):
            la, lb = r.get(f"{field}_a"), r.get(f"{field}_b")
            if key not in out and isinstance(la, int | float) and isinstance(lb, int | float):
                out[key] = abs(la - lb) / max(la, lb, 1.0)
    out.update({(b, a, q): v for (a, b, q), v in list(out.items())})
    return out


def replay(
    records: list[dict[str, Any]],
    *,
    policy: str,
    budget: int,
    seed: int,
    refit: int,
    prompts: str,
    random_share: float,
    dissimilarity: dict[tuple[str, str, str], float],
) -> dict[str, Any]:
    """Replay ``policy`` on the votes; the JSON-ready report."""
    rng = np.random.default_rng(seed)
    pool = Pool(records, rng)
    names, n = pool.names, len(pool.names)
    if policy in FORMATS:
        played, coins = _replay_format(policy, pool, budget=budget, seed=seed, rng=rng)
        return _report(
            policy, prompts=prompts, seed=seed, names=names, chosen=played, records=records
        ) | {"coin_matches": coins}
    pair_i, pair_j = pairs_of(n)
    pair_votes = np.zeros((n, n))
    state = PairingState(np.zeros(n), None, pair_votes)
    probs = POLICY["uniform"](state)
    prompt_votes: dict[str, float] = defaultdict(float)
    prompt_ties: dict[str, float] = defaultdict(float)
    chosen: list[tuple[int, int, int, float]] = []
    available = np.array(
        [bool(pool.prompts(int(i), int(j))) for i, j in zip(pair_i, pair_j, strict=True)]
    )
    while len(chosen) < budget and available.any():
        p = probs * available
        k = int(rng.choice(p.size, p=p / p.sum()))
        i, j = int(pair_i[k]), int(pair_j[k])
        options = pool.prompts(i, j)
        pick = _prompt_choice(
            options,
            names[i],
            names[j],
            mode=prompts,
            random_share=random_share,
            dissimilarity=dissimilarity,
            votes=prompt_votes,
            ties=prompt_ties,
            rng=rng,
        )
        q = options[pick]
        a, b, outcome = pool.take(i, j, q)
        chosen.append((a, b, outcome, float(p[k] / p.sum())))
        prompt_votes[q] += 1
        prompt_ties[q] += outcome in TIES
        pair_votes[i, j] += 1
        pair_votes[j, i] += 1
        available[k] = bool(pool.prompts(i, j))
        if len(chosen) % refit == 0:
            state = _state(names, chosen, pair_votes)
            probs = POLICY[policy](state)
        elif policy == "fewest-votes":  # its state is the vote counts: fresh for every vote
            probs = POLICY[policy](PairingState(state.scores, state.covariance, pair_votes))
    return _report(policy, prompts=prompts, seed=seed, names=names, chosen=chosen, records=records)


def _replay_format(
    fmt: str, pool: Pool, *, budget: int, seed: int, rng: np.random.Generator
) -> tuple[list[tuple[int, int, int, float]], int]:
    """Tournaments prompt after prompt; a match gets the pair's vote on its prompt, else on
    another prompt, else none (a tie to the state machine, left out of the ranking)."""
    names = pool.names
    questions = sorted({q for by_prompt in pool.left.values() for q in by_prompt})
    chosen: list[tuple[int, int, int, float]] = []
    coins, round_no = 0, 0
    while len(chosen) < budget and round_no < 10 * len(questions):
        prompt = questions[round_no % len(questions)]
        state = bracket_start(fmt, names, [prompt], seed * 100_003 + round_no)
        pending = bracket_pending(state)
        while pending and len(chosen) < budget:
            for match in pending:
                a, b = pool.index[match.a], pool.index[match.b]
                i, j = min(a, b), max(a, b)
                options = pool.prompts(i, j)
                if not options:
                    coins += 1
                    state = bracket_record(state, match.id, Outcome.TIE)
                    continue
                q = prompt if prompt in options else options[int(rng.integers(len(options)))]
                va, vb, outcome = pool.take(i, j, q)
                if (va, vb) != (a, b) and outcome in (Outcome.A, Outcome.B):
                    outcome = int(Outcome.B if outcome == Outcome.A else Outcome.A)
                chosen.append((a, b, outcome, 1.0))
                state = bracket_record(state, match.id, outcome)
            pending = bracket_pending(state)
        round_no += 1
    return chosen[:budget], coins


def _prompt_choice(
    options: list[str],
    first: str,
    second: str,
    *,
    mode: str,
    random_share: float,
    dissimilarity: dict[tuple[str, str, str], float],
    votes: dict[str, float],
    ties: dict[str, float],
    rng: np.random.Generator,
) -> int:
    if mode == "random" or len(options) == 1:
        return int(rng.integers(len(options)))
    p = prompt_probabilities(
        np.array([dissimilarity.get((first, second, q), 1.0) for q in options]),
        np.array([ties[q] for q in options]),
        np.array([votes[q] for q in options]),
        random_share=random_share,
    )
    return int(rng.choice(len(options), p=p))


def _comparisons(names: tuple[str, ...], rows: list[tuple[int, int, int]]) -> Comparisons:
    return Comparisons(
        names,
        np.array([r[0] for r in rows], dtype=np.intp),
        np.array([r[1] for r in rows], dtype=np.intp),
        np.array([r[2] for r in rows], dtype=np.int8),
        np.ones(len(rows)),
    )


def _state(
    names: tuple[str, ...], chosen: list[tuple[int, int, int, float]], pair_votes: np.ndarray
) -> PairingState:
    votes = _comparisons(names, [c[:3] for c in chosen])
    fit = bradley_terry(votes, l2=1e-3)  # some competitors are unseen early on
    return PairingState(fit.scores, covariance(votes, fit, kind="fisher"), pair_votes.copy())


def _report(
    policy: str,
    *,
    prompts: str,
    seed: int,
    names: tuple[str, ...],
    chosen: list[tuple[int, int, int, float]],
    records: list[dict[str, Any]],
) -> dict[str, Any]:
    index = {name: k for k, name in enumerate(names)}
    every = [(index[r["model_a"]], index[r["model_b"]], int(WINNERS[r["winner"]])) for r in records]
    full = bradley_terry(_comparisons(names, every), l2=1e-3).scores
    got = _comparisons(names, [c[:3] for c in chosen])
    seen = np.union1d(got.a, got.b)
    scores = bradley_terry(got, l2=1e-3).scores
    outcomes = np.array([c[2] for c in chosen])
    return {
        "policy": policy,
        "prompts": prompts,
        "seed": seed,
        "n_votes": len(chosen),
        "n_available": len(records),
        "tie_share": float(np.isin(outcomes, TIES).mean()) if len(chosen) else None,
        "tie_share_all": float(np.isin([e[2] for e in every], TIES).mean()),
        "competitors_ranked": int(seen.size),
        "kendall_tau_to_all_votes": float(kendalltau(scores[seen], full[seen]).statistic),
        "spearman_to_all_votes": float(spearmanr(scores[seen], full[seen]).statistic),
    }


def read_records(path: Path, where: list[str]) -> list[dict[str, Any]]:
    """The file's votes that pass ``--where``, self-battles dropped."""
    pairs = [item.partition("=") for item in where]
    if any(not sep or not field for field, sep, _ in pairs):
        raise ValueError("--where needs FIELD=VALUE")
    keep = VoteFilter(where={f: v for f, _, v in pairs} or None, competitors=None)
    return [r for _, r in iter_records(path) if keep.keeps(r) and r["model_a"] != r["model_b"]]


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``replay``; status 2 for a bad option or file."""
    try:
        if args.budget < 1 or args.refit < 1 or not 0 <= args.random_share <= 1:
            raise ValueError("need --budget ≥ 1, --refit ≥ 1 and 0 ≤ --random-share ≤ 1")
        records = read_records(args.votes, args.where)
        if not records:
            raise ValueError(f"{args.votes}: no votes left after filtering")
        answers = args.answers or args.votes.parent / "answers.jsonl"
        report = replay(
            records,
            policy=args.policy,
            budget=args.budget,
            seed=args.seed,
            refit=args.refit,
            prompts=args.prompts,
            random_share=args.random_share,
            dissimilarity=dissimilarities(records, answers),
        )
    except (ValueError, OSError, VoteFileError) as exc:
        print(f"python -m ratings replay: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0
