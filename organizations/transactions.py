"""Transactions that PostgreSQL may abort for their timing, not their data, run again.

A deadlock victim (SQLSTATE 40P01) or a transaction that could not be serialized (40001) changed
nothing: PostgreSQL's documentation advises running it again. The SCIM views do so for every
change (scim.views); the web pages' changes use `atomic_retrying`, so an admin's click that
met an IdP's burst of changes is applied, not answered with an error page."""

from __future__ import annotations

import functools

from django.db import OperationalError, connection, transaction

CONFLICT_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure
ATTEMPTS = 3


def is_conflict(error: BaseException) -> bool:
    return getattr(error.__cause__, "sqlstate", None) in CONFLICT_SQLSTATES


def atomic_retrying(function):
    """`transaction.atomic`, run up to three times while it is picked as a deadlock victim. Inside
    a transaction already open (a caller's), it runs once: only the outermost can run again."""
    atomic = transaction.atomic(function)

    @functools.wraps(function)
    def run(*args, **kwargs):
        if connection.in_atomic_block:
            return atomic(*args, **kwargs)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return atomic(*args, **kwargs)
            except OperationalError as error:
                if attempt == ATTEMPTS or not is_conflict(error):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    return run
