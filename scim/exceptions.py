"""Every error a SCIM view raises becomes a SCIM Error body (RFC 7644 section 3.12)."""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.core.exceptions import SuspiciousOperation, TooManyFieldsSent
from django.db import DatabaseError, DataError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from organizations.transactions import CONFLICT_SQLSTATES

from .protocol.errors import INVALID_SYNTAX, INVALID_VALUE, ScimError

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE_RETRY_SECONDS = 5
# PostgreSQL's deadlock_detected and serialization_failure: the transaction changed nothing and
# can simply run again.
TRANSACTION_CONFLICT_SQLSTATES = CONFLICT_SQLSTATES


# unique_violation on the logins table (its email), of a person's one membership of an
# organization, or of a membership's one SCIM identity: a concurrent create inserted the same new
# login, the same person's membership here, or took over the same person, first. The request
# changed nothing that stays; run again, it finds that row and goes on as a sequential request
# would (linking, or giving the newcomer a login of its own).
UNIQUE_VIOLATION = "23505"


@functools.cache
def _retried_unique_constraints() -> frozenset[str]:
    from scim.models import ScimUser  # late: this module loads before the apps

    return frozenset({"membership_org_user_unique", f"{ScimUser._meta.db_table}_membership_id_key"})


def is_transaction_conflict(error: BaseException) -> bool:
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate in TRANSACTION_CONFLICT_SQLSTATES:
        return True
    if sqlstate != UNIQUE_VIOLATION:
        return False
    from organizations.models import User

    diag = getattr(cause, "diag", None)
    return (
        getattr(diag, "table_name", None) == User._meta.db_table
        or getattr(diag, "constraint_name", None) in _retried_unique_constraints()
    )


def refused_value(exc: BaseException) -> ScimError | None:
    """A value the database cannot hold, a length or a range the checks before it missed (a
    DataError), or a value too large for an index entry (SQLSTATE class 54, program limit
    exceeded): the request's data is at fault, not the service, so a 400 and no retry. None for
    any other error."""
    if isinstance(exc, DataError) or str(getattr(exc.__cause__, "sqlstate", "") or "").startswith("54"):
        logger.warning("value refused by the database: %s", exc)
        return ScimError(
            400, "A value in the request is too long or out of range for this service.", INVALID_VALUE
        )
    return None


def as_scim_error(exc: Exception) -> ScimError | None:
    if isinstance(exc, ScimError):
        return exc
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return ScimError(401, str(exc.detail), headers={"WWW-Authenticate": 'Bearer realm="scim"'})
    if isinstance(exc, exceptions.Throttled):
        wait = max(1, int(exc.wait or 1))
        return ScimError(
            429,
            f"Too many requests for this integration; retry after {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, exceptions.MethodNotAllowed):
        return ScimError(405, "This method is not allowed on this endpoint.")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return ScimError(415, "Send the body as application/scim+json (or application/json).", INVALID_SYNTAX)
    if isinstance(exc, exceptions.ParseError):
        return ScimError(400, f"The request body could not be read: {exc.detail}", INVALID_SYNTAX)
    if isinstance(exc, Http404 | exceptions.NotFound):
        return ScimError(404, "Resource not found.")
    if isinstance(exc, exceptions.PermissionDenied):
        return ScimError(403, str(exc.detail))
    if isinstance(exc, exceptions.APIException):
        return ScimError(exc.status_code, str(exc.detail))
    if isinstance(exc, TooManyFieldsSent):
        return ScimError(
            400,
            f"The URL has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} query parameters; "
            "SCIM requests need a handful (filter, attributes, startIndex, count, sortBy).",
        )
    if isinstance(exc, SuspiciousOperation):
        # Django's own refusals of a malformed request (Django answers these with a 400 page).
        return ScimError(400, f"The request was refused: {exc}")
    if isinstance(exc, DatabaseError) and (refused := refused_value(exc)) is not None:
        return refused
    if isinstance(exc, DatabaseError) and is_transaction_conflict(exc):
        # Still conflicting after the retries (scim.views): the database is fine, the timing is not.
        logger.warning("transaction conflict after retries: %s", exc)
        return ScimError(
            503,
            "A concurrent change to the same resources conflicted with this one; nothing was changed. Retry.",
            headers={"Retry-After": "1"},
        )
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is unreachable: tell the IdP to come back rather than fail the change.
        logger.error("database unavailable: %s", exc)
        return ScimError(
            503,
            "The service is temporarily unable to reach its database; retry shortly.",
            headers={"Retry-After": str(DATABASE_UNAVAILABLE_RETRY_SECONDS)},
        )
    if isinstance(exc, DatabaseError):
        logger.exception("database error")
        return ScimError(500, "The service failed to handle this request; it has been logged.")
    return None


def scim_exception_handler(exc, context):
    error = as_scim_error(exc)
    if error is None:
        # Unexpected: the view's transaction has already rolled back; log it, show no internals.
        logger.exception("unexpected error in SCIM view", exc_info=exc)
        error = ScimError(500, "The service failed to handle this request; it has been logged.")
    response = Response(error.to_scim(), status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    response.scim_error = error
    return response
