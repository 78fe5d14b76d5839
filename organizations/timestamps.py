"""One way to write a moment for people: "Dec 5, 2026, 06:51 UTC".

Every page, audit summary and notice uses it, so an admin never has to guess whether a bare
"Dec 5" is this year, or whether "06:51" is UTC or their own time. The month is a word (no
day/month ambiguity), the time is 24-hour, and the time zone is always named.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.dateformat import format as format_date

MINUTES = "M j, Y, H:i T"
SECONDS = "M j, Y, H:i:s T"


def format_timestamp(moment: datetime | None, *, seconds: bool = False) -> str:
    """`moment` in the current time zone (settings.TIME_ZONE, UTC), or "" for None."""
    if moment is None:
        return ""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return format_date(moment, SECONDS if seconds else MINUTES)
