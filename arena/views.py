"""The crowd's pages: arenas (vote on a battle), feedback, boards, exports and accounts."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from arena import selectors
from arena.exceptions import ArenaError, BattleNotFound, OwnPromptsOff
from arena.forms import SignupForm
from arena.models import Arena, Battle, Outcome, PromptMode, User
from arena.net import client_address
from arena.ratelimit import page_limited
from arena.services import arenas as arena_services
from arena.services import battles as battle_services
from arena.services import users as user_services
from arena.services import votes as vote_services
from arena.text import render_markdown
from arena.voters import Voter


def _voter(request: HttpRequest, *, create_session: bool) -> Voter:
    if request.user.is_authenticated:
        return Voter(user=request.user, address=client_address(request))
    if request.session.session_key is None:
        if not create_session:
            raise BattleNotFound
        request.session.save()
    return Voter(session_key=request.session.session_key or "", address=client_address(request))


def _battle_context(battle: Battle) -> dict[str, object]:
    return {
        "arena": battle.arena,
        "battle": battle,
        "answer_a": render_markdown(battle.completion_a.text if battle.completion_a else ""),
        "answer_b": render_markdown(battle.completion_b.text if battle.completion_b else ""),
        "outcomes": [(o.name, o.label) for o in Outcome],
    }


class _SeeOther(HttpResponseRedirect):
    """303: after a POST, the browser GETs the target (and a reload repeats only that GET)."""

    status_code = 303


def _refused(request: HttpRequest, error: ArenaError) -> HttpResponse:
    return render(request, "arena/refused.html", {"error": error}, status=error.status)


@require_GET
@page_limited("battle")
def arena_page(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Serve a new battle of the arena (the default one at /) to this browser, names hidden."""
    try:
        arena = selectors.arena_get_for_viewer(slug=slug, user=request.user)
        if arena.prompt_mode == PromptMode.OWN:
            return redirect(_live_url(arena))
        battle = battle_services.battle_create(
            arena=arena, voter=_voter(request, create_session=True)
        )
    except ArenaError as error:
        return _refused(request, error)
    context = _battle_context(battle) | {"live_url": _live_url(arena)}
    return render(request, "arena/battle.html", context)


def _live_url(arena: Arena) -> str:
    return reverse("live") if arena.is_default else reverse("arena-live", args=[arena.slug])


@require_GET
@page_limited("battle")
def live_page(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The own-prompt page: the voter writes, two anonymous models answer over a websocket
    (``arena.consumers``); the session is started here, as the socket cannot set a cookie."""
    try:
        arena = selectors.arena_get_for_viewer(slug=slug, user=request.user)
        if arena.prompt_mode == PromptMode.SERVED:
            raise OwnPromptsOff
        _voter(request, create_session=True)
    except ArenaError as error:
        return _refused(request, error)
    socket = "/ws/live/" if slug is None else f"/ws/a/{arena.slug}/live/"
    return render(request, "arena/live.html", {"arena": arena, "socket": socket})


@require_POST
@page_limited("vote")
def battle_vote(request: HttpRequest, public_id: str) -> HttpResponse:
    """Record this browser's vote on a battle served to it, then send it to the result page.

    Post/redirect/get: the result is a page of its own (303), so reloading it shows the
    recorded result again instead of posting the vote a second time (which answers 409).
    """
    try:
        voter = _voter(request, create_session=False)
        outcome = vote_services.outcome_parse(request.POST.get("outcome", ""))
        vote_services.vote_record(public_id=public_id, voter=voter, outcome=outcome)
    except ArenaError as error:
        return _refused(request, error)
    return _SeeOther(reverse("battle-result", args=[public_id]))


@require_GET
@page_limited("board")
def battle_result(request: HttpRequest, public_id: str) -> HttpResponse:
    """A voted battle's result: the names, the verdict, the chosen side; also its permalink.

    The browser it was served to gets the feedback form and "Next battle"; anyone else who may
    see the arena gets the same result read-only. An unvoted battle has no result page (404).
    """
    try:
        battle = selectors.battle_result_get(public_id=public_id, user=request.user)
    except ArenaError as error:
        return _refused(request, error)
    own = _voter_or_none(request)
    vote = battle.vote
    outcome = Outcome(vote.outcome)
    context = _battle_context(battle) | {
        "vote": vote,
        "chosen": outcome.label,
        "chosen_side": {Outcome.A: "a", Outcome.B: "b"}.get(outcome, ""),
        "outcome": outcome.name,
        "is_voter": own is not None and selectors.battle_served_to(battle, own),
        "share_url": request.build_absolute_uri(reverse("battle-result", args=[public_id])),
    }
    return render(request, "arena/revealed.html", context)


def _voter_or_none(request: HttpRequest) -> Voter | None:
    """This browser as a voter, without starting a session for a visitor who has none."""
    if request.user.is_authenticated:
        return Voter(user=request.user)
    if request.session.session_key:
        return Voter(session_key=request.session.session_key)
    return None


@require_POST
@page_limited("vote")
def battle_feedback(request: HttpRequest, public_id: str) -> HttpResponse:
    """Record the optional reason and per-answer tags given after a vote."""
    try:
        vote = vote_services.vote_feedback_add(
            public_id=public_id,
            voter=_voter(request, create_session=False),
            reason=request.POST.get("reason", ""),
            tags_a=request.POST.getlist("tag_a"),
            tags_b=request.POST.getlist("tag_b"),
        )
    except ArenaError as error:
        return _refused(request, error)
    return render(request, "arena/feedback_thanks.html", {"arena": vote.battle.arena})


@require_GET
@page_limited("board")
def statistics(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Vote counts, raw win rates and feedback tag rates; the rated boards are the leaderboard."""
    try:
        arena = selectors.arena_get_for_viewer(slug=slug, user=request.user)
    except ArenaError as error:
        return _refused(request, error)
    rates = selectors.tag_rates(arena)
    context = {
        "arena": arena,
        "rows": selectors.leaderboard_rows(arena),
        "tag_rates": rates,
        "tag_leaders": selectors.tag_leaders(rates),
        "judges": selectors.judge_agreement(arena),
    }
    return render(request, "arena/statistics.html", context)


@require_GET
def statistics_moved(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The statistics' old address (``leaderboard/``), kept working: a permanent redirect."""
    target = reverse("statistics") if slug is None else reverse("arena-statistics", args=[slug])
    return HttpResponsePermanentRedirect(target)


def export_response(arena: Arena) -> StreamingHttpResponse:
    """The arena's votes as JSON Lines (the shared vote schema plus feedback), streamed."""

    def lines() -> Iterator[str]:
        for row in selectors.vote_export_rows(arena):
            yield json.dumps(row, ensure_ascii=False) + "\n"

    response = StreamingHttpResponse(lines(), content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="{arena.slug}-votes.jsonl"'
    return response


@require_GET
@page_limited("export")
def vote_export(request: HttpRequest, slug: str) -> HttpResponseBase:
    try:
        arena = selectors.arena_get_for_viewer(slug=slug, user=request.user)
    except ArenaError as error:
        return _refused(request, error)
    return export_response(arena)


def safe_next(request: HttpRequest) -> str:
    """Where to go after signing up: ``next`` if it stays on this site, else the arena.

    An absolute URL to another host (or a scheme like ``javascript:``) would turn the sign-up
    page into an open redirect, so only this host's paths are followed, as Django's LoginView
    does.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else resolve_url(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Create a voter account; signing in is optional and gives a vote history."""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_services.user_register(
            username=form.cleaned_data["username"], password=form.cleaned_data["password1"]
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(safe_next(request))
    return render(request, "registration/signup.html", {"form": form, "next": safe_next(request)})


@login_required
@require_GET
def vote_history(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    votes = selectors.vote_history_for_user(user)[:500]
    return render(request, "arena/vote_history.html", {"votes": votes})


@login_required
@require_GET
def group_join(request: HttpRequest, token: str) -> HttpResponse:
    """Accept a voter-group invitation link."""
    try:
        group = arena_services.voter_group_join(token=token, user=request.user)  # type: ignore[arg-type]
    except ArenaError as error:
        return _refused(request, error)
    messages.success(request, f"You are now a member of {group.name}.")
    return redirect("arena")


def login_locked_out(request: HttpRequest, credentials: object = None, **_: object) -> HttpResponse:
    """django-axes's answer to a client locked out after too many failed sign-ins."""
    hours = settings.AXES_COOLOFF_TIME
    message = (
        f"Too many failed sign-in attempts from this address for this account; try again in "
        f"{hours} hour{'s' if hours != 1 else ''}, or ask an operator to unlock it."
    )
    response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(int(hours) * 3600)
    return response
