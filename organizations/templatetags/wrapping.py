"""`{{ email|breakable }}`: an email address (or userName) that wraps where a reader expects.

Emails have no spaces; left to `overflow-wrap: anywhere` a narrow cell breaks one wherever the
line ends ("ada.lovelace@acme.tes|t"). Break opportunities before "@" and before each "." let it
wrap between its parts; only a part longer than the whole line still breaks inside."""

from __future__ import annotations

import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()

_BREAK_BEFORE = re.compile(r"(?=[@.])")


@register.filter
def breakable(text: str) -> str:
    if not text:
        return ""
    parts = [conditional_escape(part) for part in _BREAK_BEFORE.split(str(text))]
    return format_html('<span class="breakable">{}</span>', mark_safe("<wbr>".join(parts)))
