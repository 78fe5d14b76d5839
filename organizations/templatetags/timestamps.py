"""`{{ moment|timestamp }}`: a <time> element in the one format of organizations.timestamps."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.html import format_html

from organizations.timestamps import format_timestamp

register = template.Library()


@register.filter
def timestamp(moment: datetime | None, precision: str = "") -> str:
    """`<time datetime="ISO">Dec 5, 2026, 06:51 UTC</time>`; `|timestamp:"seconds"` adds seconds
    (the activity list, where requests a few seconds apart must stay in order)."""
    if moment is None:
        return ""
    return format_html(
        '<time datetime="{}">{}</time>',
        moment.isoformat(),
        format_timestamp(moment, seconds=precision == "seconds"),
    )


@register.filter
def timestamp_text(moment: datetime | None) -> str:
    """The same words without the element, for attributes and confirmation texts."""
    return format_timestamp(moment)
