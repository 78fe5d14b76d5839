"""Keeps SCIM paths JSON-only, whatever goes wrong below the view layer."""

from __future__ import annotations

import io
import json
import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import LimitedStream
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse

from .content import prefers_plain_json
from .exceptions import as_scim_error
from .protocol.errors import ScimError

logger = logging.getLogger(__name__)

SCIM_PATH_PREFIX = "/scim/"


def is_scim_path(path: str) -> bool:
    # "/scim" itself too: an admin who pasted the base URL without the rest gets a SCIM 404
    # saying what the URL should be, not an HTML page the IdP shows as a parse error.
    path = path.lower()
    return path.startswith(SCIM_PATH_PREFIX) or path == SCIM_PATH_PREFIX.rstrip("/")


def scim_error_response(error: ScimError, request=None) -> HttpResponse:
    """A SCIM error answered outside the views, in the media type the views would use."""
    plain = request is not None and prefers_plain_json(request)
    response = HttpResponse(
        json.dumps(error.to_scim()),
        status=error.status,
        content_type="application/json" if plain else "application/scim+json",
    )
    for name, value in error.headers.items():
        response[name] = value
    return response


class ScimSafetyNetMiddleware:
    """Turns anything on a SCIM path that is not already a SCIM answer into one.

    DRF renders errors raised inside SCIM views; this covers what happens outside them: Django's
    404 for an unknown SCIM path, CSRF or host checks, and an unexpected exception anywhere
    (a 500 with a SCIM body and no internals). IdPs cannot read HTML error pages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_scim_path(request.path):
            return self.get_response(request)
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            return scim_error_response(
                ScimError(403, "This SCIM endpoint is served over HTTPS only: use the https:// URL."), request
            )
        # No `SELECT 1` health check before this request's first query: the token lookup
        # reconnects a dropped connection itself (scim.authentication.token_with_integration),
        # which saves a round trip on every SCIM request. Web pages keep the check.
        for connection in connections.all(initialized_only=True):
            connection.health_check_done = True
        refusal = _read_chunked_body(request)
        if refusal is not None:
            return scim_error_response(refusal, request)
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and "json" not in content_type:
            return scim_error_response(
                ScimError(response.status_code, _detail_of_django_refusal(request, response.status_code)),
                request,
            )
        return response

    def process_exception(self, request, exception):
        if not is_scim_path(request.path):
            return None
        if isinstance(exception, OperationalError | InterfaceError):
            # The database went away outside a view (while recording, in a middleware): the
            # same 503 and Retry-After as inside one.
            return scim_error_response(as_scim_error(exception), request)
        logger.exception("unexpected error on %s %s", request.method, request.path)
        return scim_error_response(
            ScimError(500, "The service failed to handle this request; it has been logged."), request
        )


def _read_chunked_body(request) -> ScimError | None:
    """Django reads a body only as far as Content-Length says, so a chunked request (no length)
    would look empty. Read it here, up to the payload limit, and give it a length."""
    if "chunked" not in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() or request.META.get(
        "CONTENT_LENGTH"
    ):
        return None
    limit = settings.SCIM_MAX_PAYLOAD_BYTES
    source = request.META.get("wsgi.input")
    body = source.read(limit + 1) if source is not None else b""
    if len(body) > limit:
        return ScimError(413, f"The request body is larger than the {limit}-byte limit.")
    request.META["CONTENT_LENGTH"] = str(len(body))
    request._stream = LimitedStream(io.BytesIO(body), len(body))
    return None


def _detail_of_django_refusal(request, status: int) -> str:
    """What Django refused, where it can be told: the cause of its 400 is not in the response."""
    if status == 400:
        try:
            request.get_host()
        except DisallowedHost:
            return (
                "The Host header names a host this service does not answer to (ALLOWED_HOSTS): "
                "use the SCIM endpoint URL exactly as the integration's page shows it."
            )
    return _generic_detail(status)


def _generic_detail(status: int) -> str:
    return {
        400: "The request could not be understood.",
        401: "Authentication required: send 'Authorization: Bearer <token>'.",
        403: "This request is not allowed.",
        404: "No such SCIM endpoint. The base URL ends in /scim/v2/<integration id>.",
        405: "This method is not allowed on this endpoint.",
        413: "The request body is too large.",
    }.get(status, "The request failed.")
