"""Rating jobs: deciding what to recompute, running one job, and keeping it idempotent."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from arena import metrics
from arena import selectors as arena_selectors
from arena.models import Arena
from leaderboards import publish, selectors
from leaderboards.models import Leaderboard, RatingRun
from leaderboards.reports.board_page import matrices_compute, matrices_json
from leaderboards.services.categories import leaderboards_ensure_categories
from leaderboards.services.pairing_state import pairing_state_publish, pairing_strengths_of
from ratings import engine
from ratings.core.errors import RatingError
from ratings.core.types import Comparisons

logger = logging.getLogger(__name__)

#: The Celery name of the task that executes one run (``leaderboards.tasks``).
RATING_RUN_EXECUTE = "ratings.rating_run_execute"

#: The scopes every arena gets: all votes, then crowd and judges apart.
DEFAULT_LEADERBOARDS = (
    ("all", "All votes", ""),
    ("crowd", "Crowd votes", "crowd"),
    ("judges", "Judge votes", "judge"),
)


#: The worker queues of the rating jobs, by method family (``CELERY_TASK_QUEUES`` declares them,
#: and a worker started without ``-Q`` consumes them all). A deployment scales each apart: the
#: point fits are quick and keep boards fresh; resampled intervals and the games and style fits
#: take longer and must not hold them up. See docs/deploying.md.
QUEUE_FAST = "ratings.fast"
QUEUE_BOOTSTRAP = "ratings.bootstrap"
QUEUE_HEAVY = "ratings.heavy"
#: Methods that solve games or fit style features: the heavy queue, whatever their options.
HEAVY_METHODS = frozenset({"nash", "equilibrium-ne", "equilibrium-cce", "style-bt"})


def rating_queue(method: str, options: dict[str, Any]) -> str:
    """The queue of a run of ``method`` with these stored options: heavy for the games and the
    style fit, bootstrap for resampled intervals (bootstrap rounds, or several Elo orderings),
    fast for a point fit (Elo, Bradley–Terry, Davidson, win rates)."""
    if method in HEAVY_METHODS:
        return QUEUE_HEAVY
    rounds, orderings = options.get("bootstrap"), options.get("orderings")
    if (isinstance(rounds, int) and rounds > 0) or (isinstance(orderings, int) and orderings > 1):
        return QUEUE_BOOTSTRAP
    return QUEUE_FAST


#: Counting methods whose numbers stay within 1e-9 when real-valued summands (1/p weights, soft
#: labels) are added up in another order: merged, a pair's ``3 × 0.6`` is not bit for bit
#: ``0.6 + 0.6 + 0.6``. The Bradley–Terry fits absorb such a difference (1e-16); the Nash and
#: equilibrium solvers carry it to about 1e-8 in their ratings and masses (their own tolerance),
#: so they read merged votes only where every summand is a whole or half vote.
COUNTED_WITH_REAL_SUMS = frozenset({"bt", "bt-davidson"})


def run_reads_counted(method: str, *, ipw: bool, soft_labels: bool = False) -> bool:
    """Whether a run of ``method`` reads the votes merged by a ``GROUP BY`` (``Method.counted``)
    rather than one row a vote: the numbers are the same either way, to 1e-9.

    ``soft_labels``: the votes carry soft labels that count (not ``hard_labels``)."""
    exact = method in COUNTED_WITH_REAL_SUMS or not (ipw or soft_labels)
    return engine.method_get(method).counted and exact


#: Methods that fit the answers' style features: queued only for scopes whose every vote has both
#: answers (votes imported without answer texts have none, and the fit would fail).
NEEDS_ANSWERS = frozenset({"style-bt"})


def leaderboards_ensure_defaults(arena: Arena) -> None:
    there = set(Leaderboard.objects.filter(arena=arena).values_list("slug", flat=True))
    for slug, name, source in DEFAULT_LEADERBOARDS:
        if slug in there:
            continue
        Leaderboard.objects.get_or_create(
            arena=arena, slug=slug, defaults={"name": name, "source": source}
        )


def run_options(leaderboard: Leaderboard, method: str) -> engine.MethodOptions:
    """The engine options of this leaderboard's ``method``: the leaderboard's bootstrap rounds
    (seed 0) for Elo and Bradley–Terry, the category axis for the equilibrium game, otherwise
    the method's defaults; then the board's own ``method_options`` for that method on top; soft
    labels count unless the leaderboard says ``hard_labels``.

    An Elo board asking for several orderings gets their interval instead of the bootstrap's,
    unless it names ``bootstrap`` itself (and then the engine refuses the pair). Raises
    :class:`engine.OptionsError` for a method a board cannot run (unknown, or command-line
    only such as ``lc-winrate``), so that its run fails and says why.
    """
    spec = engine.method_get(method)
    if not spec.board:
        raise engine.OptionsError(
            f"method {method!r} is for the command line only: {spec.board_note}"
        )
    overrides = _board_overrides(leaderboard, method)
    rounds = leaderboard.bootstrap_rounds
    base: dict[str, Any] = {"hard_labels": leaderboard.hard_labels}
    orderings = overrides.get("orderings", 1)
    several_orderings = isinstance(orderings, int) and orderings > 1
    if rounds and (method == "bt" or (method == "elo" and not several_orderings)):
        base |= {"bootstrap": rounds, "seed": 0}
    if spec.options is engine.EquilibriumOptions:
        base |= {"prompt_axis": "category"}
    return engine.method_options(method, base | overrides)


def _board_overrides(leaderboard: Leaderboard, method: str) -> dict[str, Any]:
    stored = leaderboard.method_options if isinstance(leaderboard.method_options, dict) else {}
    options = stored.get(method) or {}
    if not isinstance(options, dict):
        raise engine.OptionsError(f"{method}: the board's options are not a JSON object")
    return dict(options)


def params_key(
    method: str,
    options: dict[str, Any],
    flags: str | None = None,
    held_back: list[int] | None = None,
    *,
    ipw: bool = False,
) -> str:
    """The run's parameters as a hash: the method, its options, the voter-flag set's version
    (when the board leaves flagged voters out) and the competitors held back as null models;
    a new flag or a cleared competitor changes the votes in scope, not the watermark."""
    params: dict[str, Any] = {"method": method, "options": options}
    if flags is not None:
        params["flags"] = flags
    if held_back:
        params["held_back"] = held_back
    if ipw:
        params["ipw"] = True
    canonical = json.dumps(params, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def leaderboards_check(*, enqueue: bool = True) -> list[int]:
    """Queue a run for every leaderboard and method whose scope has votes past its last run.

    Returns the ids of the runs queued. With ``enqueue`` (the beat's way) each is sent to the
    workers on commit, and runs whose message was lost are sent again: queued for longer than
    ARENA_RATING_REQUEUE_SECONDS, or running past the task's hard time limit. Without it the
    caller executes them (``manage.py recompute``). Each arena first gets its default boards
    and a board per prompt category (:mod:`leaderboards.services.categories`). A method in
    ``NEEDS_ANSWERS`` is skipped for a scope with a vote whose battle lacks its answers.
    """
    enqueued: list[int] = []
    for arena in Arena.objects.all():
        leaderboards_ensure_defaults(arena)
        leaderboards_ensure_categories(arena)
    held: dict[int, list[int]] = {}
    facts: dict[int, arena_selectors.ArenaFacts] = {}
    for leaderboard in Leaderboard.objects.filter(is_active=True).select_related("arena"):
        arena, scope = leaderboard.arena, selectors.scope_of(leaderboard)
        if arena.pk not in facts:  # read once per arena, for all its boards
            facts[arena.pk] = arena_selectors.arena_facts(arena)
            held[arena.pk] = arena_selectors.held_back_competitor_ids(arena)
        watermark = arena_selectors.scope_watermark(arena, scope, facts[arena.pk])
        if watermark is None:
            continue
        done = set(
            RatingRun.objects.filter(leaderboard=leaderboard, watermark=watermark).values_list(
                "method", "params_key"
            )
        )
        unanswered: bool | None = None
        for method in leaderboard.methods:
            if method in NEEDS_ANSWERS:
                if unanswered is None:
                    unanswered = arena_selectors.scope_has_unanswered_votes(
                        arena, scope, facts[arena.pk]
                    )
                if unanswered:
                    continue
            run = _run_queue(
                leaderboard,
                method,
                watermark,
                held_back=held[arena.pk],
                flags=facts[arena.pk].flags_version,
                done=done,
                enqueue=enqueue,
            )
            if run is not None:
                enqueued.append(run.id)
    if enqueue:
        enqueued.extend(_runs_requeue_lost())
    return enqueued


def _run_queue(
    leaderboard: Leaderboard,
    method: str,
    watermark: int,
    *,
    held_back: list[int],
    flags: str,
    done: set[tuple[str, str]],
    enqueue: bool,
) -> RatingRun | None:
    """Queue the run of ``method`` at ``watermark`` unless ``done`` (the board's runs at that
    watermark, as (method, parameters' key)) has it already."""
    try:
        options = engine.options_to_json(run_options(leaderboard, method))
    except engine.OptionsError as error:
        # an unknown method, one for the command line only, or options it cannot take: the
        # run is queued with the reason, and fails saying it
        stored = leaderboard.method_options if isinstance(leaderboard.method_options, dict) else {}
        raw = stored.get(method)
        options = {"options_error": str(error), "method_options": raw}
    ipw = leaderboard.inverse_probability_weights
    key = params_key(
        method, options, flags if leaderboard.exclude_flagged_voters else None, held_back, ipw=ipw
    )
    if (method, key) in done:
        return None
    try:
        with transaction.atomic():
            # Older runs that never started are superseded by this one.
            RatingRun.objects.filter(
                leaderboard=leaderboard,
                method=method,
                params_key=key,
                status="queued",
                watermark__lt=watermark,
            ).delete()
            run = RatingRun.objects.create(
                leaderboard=leaderboard,
                method=method,
                params={"options": options} | ({"ipw": True} if ipw else {}),
                params_key=key,
                watermark=watermark,
            )
            if enqueue:
                _enqueue_on_commit(run.id, rating_queue(method, options))
    except IntegrityError:  # another check queued it first
        return None
    return run


def _runs_requeue_lost() -> list[int]:
    now = timezone.now()
    grace = timedelta(seconds=settings.ARENA_RATING_REQUEUE_SECONDS)
    lost = RatingRun.objects.filter(
        Q(status="queued", created_at__lt=now - grace) | _stale_q()
    ).values_list("id", "method", "params")
    ids = []
    for run_id, method, params in lost:
        options = params.get("options") if isinstance(params, dict) else None
        _enqueue_on_commit(run_id, rating_queue(method, options or {}))
        ids.append(run_id)
    return ids


def _enqueue_on_commit(run_id: int, queue: str) -> None:
    def send() -> None:
        try:
            # By name, through the Celery app, so that services never import the tasks that
            # wrap them; the registered task still honours eager mode in the demo.
            current_app.tasks[RATING_RUN_EXECUTE].apply_async((run_id,), queue=queue)
        except Exception:  # broker down: the run stays queued and the next check retries it
            logger.warning("could not enqueue rating run %s", run_id, exc_info=True)

    transaction.on_commit(send)


def _stale_q() -> Q:
    """Running runs whose worker stopped renewing the heartbeat: it died, or hangs."""
    lease = timedelta(seconds=settings.ARENA_RATING_LEASE_SECONDS)
    return Q(status="running", heartbeat_at__lt=timezone.now() - lease)


def rating_run_claim(run_id: int, task_id: str) -> bool:
    """Mark the run as running for this task; False when another live task has it or it is done.

    A redelivered message (same task id, after its worker died) may take its run back at once;
    any other task only once the run's heartbeat is older than the lease.
    """
    claimable = Q(status="queued") | Q(status="running", task_id=task_id) | _stale_q()
    now = timezone.now()
    claimed = RatingRun.objects.filter(claimable, pk=run_id).update(
        status="running",
        task_id=task_id,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
    )
    return bool(claimed)


class _Heartbeat:
    """Renews a running run's heartbeat from a thread while the job computes."""

    def __init__(self, run_id: int, task_id: str) -> None:
        self.run_id, self.task_id = run_id, task_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def _beat(self) -> None:
        interval = settings.ARENA_RATING_LEASE_SECONDS / 3
        try:
            while not self.stop.wait(interval):
                RatingRun.objects.filter(
                    pk=self.run_id, status="running", task_id=self.task_id
                ).update(heartbeat_at=timezone.now())
        finally:
            connection.close()


def rating_run_execute(*, run_id: int, task_id: str) -> str:
    """Run one rating job and publish it; returns the run's final status.

    Idempotent: a done run is left alone, and the result is written in the same UPDATE that
    marks the run done (guarded by this task's claim), so two deliveries write it once. The
    job's wall time goes to the operators' histogram under its final status.
    """
    if not rating_run_claim(run_id, task_id):
        status = RatingRun.objects.filter(pk=run_id).values_list("status", flat=True).first()
        if status is None:  # a newer watermark replaced it while it waited: expected
            logger.info("rating run %s was superseded by a newer run before it started", run_id)
            return "superseded"
        return status
    run = RatingRun.objects.select_related("leaderboard__arena").get(pk=run_id)
    started = time.perf_counter()
    using = settings.ARENA_RATING_READ_DATABASE
    if using != DEFAULT_DB_ALIAS and not _run_bound_to_replica(run, task_id, using):
        status = "superseded"
    else:
        status = _run_finish(run, task_id, started, using=using)
    elapsed = time.perf_counter() - started
    metrics.RATING_JOB_SECONDS.labels(method=run.method, status=status).observe(elapsed)
    return status


def _run_bound_to_replica(run: RatingRun, task_id: str, using: str) -> bool:
    """Bound a claimed run to the votes the replica holds; False when it has nothing to add.

    The check took the run's watermark on the primary; a replica that lags behind it lacks
    some of the votes up to it. Rated at that watermark, the run would stand for votes it never
    read, and the board would skip them for good (a run per watermark). So the run's watermark
    becomes the newest vote the replica holds, the rows actually read: the next check, seeing
    no run at the primary's watermark, queues it again. A run the replica cannot take past one
    already made (the same watermark and parameters) is dropped.
    """
    held = arena_selectors.vote_id_newest(using=using)
    if held >= run.watermark:
        return True
    logger.info(
        "rating run %s: the replica holds votes up to %s of %s; rating those",
        run.pk,
        held,
        run.watermark,
    )
    mine = RatingRun.objects.filter(pk=run.pk, status="running", task_id=task_id)
    if held > 0:
        try:
            with transaction.atomic():
                mine.update(watermark=held)
        except IntegrityError:  # a run at the replica's watermark exists: nothing new to rate
            pass
        else:
            run.watermark = held
            return True
    mine.delete()
    return False


def _run_finish(run: RatingRun, task_id: str, started: float, *, using: str) -> str:
    """Compute a claimed run and store its outcome; returns the run's final status."""
    run_id = run.pk
    try:
        with _Heartbeat(run_id, task_id):
            comparisons, options = run_comparisons(run, using=using)
            output = engine.rate_with_state(comparisons, run.method, options)
            # Stored with the run so that the board page never reads the votes (#21); drawn
            # from the run's own read when that holds the pair totals (a second read of every
            # vote doubled a Bradley–Terry job at 10M votes).
            matrices = matrices_json(
                matrices_compute(run, output.report, using=using, comparisons=comparisons)
            )
    except (RatingError, ValueError) as error:  # OptionsError is a ValueError
        RatingRun.objects.filter(pk=run_id, task_id=task_id).update(
            status="failed", error=str(error)[:2000], finished_at=timezone.now()
        )
        _run_failed_alert(run, error)
        return "failed"
    result = output.report
    strengths = pairing_strengths_of(run=run, state=output.state)
    with transaction.atomic():
        done = RatingRun.objects.filter(pk=run_id, status="running", task_id=task_id).update(
            status="done",
            result=result,
            matrices=matrices,
            n_votes=result["n_votes"],
            finished_at=timezone.now(),
            duration_seconds=time.perf_counter() - started,
        )
        if done:
            if strengths is not None:
                pairing_state_publish(run=run, strengths=strengths)
            transaction.on_commit(lambda: publish.snapshot_publish(run_id))
    return "done" if done else RatingRun.objects.get(pk=run_id).status


def _run_failed_alert(run: RatingRun, error: Exception) -> None:
    """Count the failure for the operators' alert and log it once, at ERROR, without a traceback:
    the votes or options could not be rated, which the message says; the code did not break."""
    reason = type(error).__name__
    metrics.RATING_RUNS_FAILED.labels(method=run.method, reason=reason).inc()
    board = run.leaderboard
    facts = {
        "run_id": run.pk,
        "arena": board.arena.slug,
        "leaderboard": board.slug,
        "method": run.method,
        "watermark": run.watermark,
        "reason": reason,
        "error": str(error)[:500],
    }
    logger.error(
        "rating run failed: %s", " ".join(f"{k}={v!r}" for k, v in facts.items()), extra=facts
    )


def run_compute(run: RatingRun, *, using: str = DEFAULT_DB_ALIAS) -> engine.MethodOutput:
    """The rating engine on the run's votes: the same call as ``python -m ratings rate``.

    ``using`` is the database the votes are read from (the replica's alias when configured).
    """
    comparisons, options = run_comparisons(run, using=using)
    return engine.rate_with_state(comparisons, run.method, options)


def run_comparisons(
    run: RatingRun, *, using: str = DEFAULT_DB_ALIAS
) -> tuple[Comparisons, engine.MethodOptions]:
    """The run's votes as the engine takes them, and the run's typed options.

    A method that takes counted rows (``Method.counted``: the Bradley–Terry family, Nash, the
    equilibria) reads the votes merged by a ``GROUP BY`` (its numbers are those of the votes
    one by one: ``tests/leaderboards/test_read_path.py``); the others read one row a vote.
    """
    stored = run.params.get("options")
    if not isinstance(stored, dict):  # a run queued by the first version: flags, not options
        raise ValueError("this run's parameters predate typed options; a newer run replaces it")
    if "options_error" in stored:
        raise engine.OptionsError(str(stored["options_error"]))
    options = engine.method_options(run.method, stored)
    axis = "category" if getattr(options, "prompt_axis", None) == "category" else "prompt"
    ipw = bool(run.params.get("ipw"))
    comparisons = None
    if run_reads_counted(run.method, ipw=ipw):
        comparisons = selectors.counted_comparisons_for_leaderboard(
            run.leaderboard,
            run.watermark,
            prompt_axis=axis if hasattr(options, "prompt_axis") else None,
            inverse_probability=ipw,
            using=using,
        )
        soft = comparisons.has_soft_labels and not options.hard_labels
        if not run_reads_counted(run.method, ipw=ipw, soft_labels=soft):
            comparisons = None  # soft labels in scope: read one row a vote after all
    if comparisons is None:
        comparisons = selectors.comparisons_for_leaderboard(
            run.leaderboard,
            run.watermark,
            prompt_axis=axis,
            inverse_probability=ipw,
            with_features=run.method in NEEDS_ANSWERS,
            using=using,
        )
    if comparisons.n_comparisons == 0:
        raise ValueError("no votes in this scope")
    return comparisons, options
