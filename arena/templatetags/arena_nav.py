"""Template helpers for the site menu and for links to a competitor's page."""

from __future__ import annotations

from django import template
from django.contrib.auth.models import AnonymousUser
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from arena.access import vote_offer
from arena.models import Arena, User

register = template.Library()


@register.simple_tag(takes_context=True)
def menu_arena(context: template.Context) -> Arena | None:
    """The arena the menu points into: the page's own, else the default one, else None.

    None on pages rendered without a request (the 500 and 503 pages): the menu then uses the
    default arena's addresses, which need no database.
    """
    arena = context.get("arena") or context.get("nav_default")
    return arena if isinstance(arena, Arena) else None


@register.simple_tag
def vote_href(arena: Arena | None, user: User | AnonymousUser | None) -> str:
    """The menu's "Vote" link for this user: the vote page, sign-in first, or "" (no tab).

    Without an arena (a page rendered without the database, such as the 500 page) it is the
    default arena's address.
    """
    if arena is None:
        return reverse("arena")
    offer = vote_offer(arena, user)
    page = reverse("arena-page", args=[arena.slug])
    if offer == "sign-in":
        return f"{reverse('login')}?{urlencode({'next': page})}"
    return page if offer else ""


@register.simple_tag
def competitor_url(arena: Arena, name: str) -> str:
    """The address of a competitor's page in an arena (``{% competitor_url arena name %}``)."""
    return reverse("arena-competitor", args=[arena.slug, name])


@register.simple_tag
def compare_url(arena: Arena, a: str, b: str) -> str:
    """The comparison of two competitors; through the picker when a name cannot be a path."""
    try:
        return reverse("arena-compare", args=[arena.slug, a, b])
    except NoReverseMatch:  # a name with a slash: the picker takes it as a query parameter
        return f"{reverse('arena-compare-pick', args=[arena.slug])}?{urlencode({'a': a, 'b': b})}"
