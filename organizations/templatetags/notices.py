"""Where a flash message is shown: at the top of the page, or next to the form it is about.

A view that redirects back to a card further down the page (`#groups-h`) tags its message
`at-groups`, and that card shows it: at the top of the page it would be off-screen."""

from __future__ import annotations

from django import template

register = template.Library()

_PREFIX = "at-"


def _place(message) -> str:
    return next((tag[len(_PREFIX) :] for tag in message.extra_tags.split() if tag.startswith(_PREFIX)), "")


@register.filter
def placed(messages, place: str = "") -> list:
    """The messages for `place` ("" for the top of the page: those tagged with no place)."""
    return [message for message in messages or () if _place(message) == place]
