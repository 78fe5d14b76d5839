"""Query conditions the whole project shares."""

from __future__ import annotations

from django.db.models import CharField, Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact


def equals_ignoring_case(field: str, value: str) -> Q:
    """`field` equals `value` ignoring case, as LOWER(field) = LOWER(value): the form that the
    LOWER(...) unique indexes serve, and the comparison those indexes make unique. Django's
    `__iexact` compiles to UPPER(...) on PostgreSQL, which no index serves (a sequential scan)
    and which folds differently: UPPER('ı') is 'I', so 'admın@x' would match 'admin@x'."""
    return Q(Exact(Lower(field), Lower(Value(value, output_field=CharField()))))
