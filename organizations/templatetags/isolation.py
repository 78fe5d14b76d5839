"""`{{ value|isolate }}`: a name from an identity provider inside one of our sentences (or an
attribute such as a confirmation), kept from reordering the words around it. See
organizations/text.py; plain left-to-right values are left as they are."""

from __future__ import annotations

from django import template

from organizations.text import isolated

register = template.Library()


@register.filter
def isolate(value) -> str:
    return isolated(value) if value not in (None, "") else ""
