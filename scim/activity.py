"""Recording of SCIM requests for the admin's activity view and for staff.

A request that changed something is recorded inside its own transaction, so the change and its
record commit together or not at all; a refused request is recorded after its rollback."""

from __future__ import annotations

import re
import time

from integrations.models import Integration

from .models import RequestRecord

IDP_SIGNATURES = (
    ("okta", "Okta"),
    ("azure", "Microsoft Entra ID"),
    ("microsoft", "Microsoft Entra ID"),
    ("entra", "Microsoft Entra ID"),
    ("onelogin", "OneLogin"),
    ("jumpcloud", "JumpCloud"),
)

AUTH_FAILURES = {
    "missing": "Refused: no bearer token was sent",
    "malformed": "Refused: the Authorization header is not 'Bearer <token>'",
    "unknown": "Refused: the token is not valid for this integration",
    "other_endpoint": "Refused: the token belongs to a different integration",
    "revoked": "Refused: the token has been revoked or has expired",
    "disabled": "Refused: the integration is disabled",
}


# A token sent where it does not belong (in the query string, a User-Agent) must not reach the
# activity record: anything shaped like one of our tokens, and the value of any parameter named
# like a credential, is replaced before the record is written.
_TOKEN_SHAPED = re.compile(r"mdscim_[A-Za-z0-9_\-]+")
_CREDENTIAL_PARAM = re.compile(r"(?i)((?:access_?token|token|password|secret|api_?key|authorization)=)[^&#]*")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return _CREDENTIAL_PARAM.sub(r"\1" + REDACTED, _TOKEN_SHAPED.sub(REDACTED, text))


def detect_idp(request) -> str:
    """Which identity provider sent the request, from its User-Agent or Entra's URL flag."""
    agent = request.META.get("HTTP_USER_AGENT", "").lower()
    for needle, name in IDP_SIGNATURES:
        if needle in agent:
            return name
    if "aadoptscim062020" in request.META.get("QUERY_STRING", "").lower():
        return "Microsoft Entra ID"
    return ""


def start(request) -> None:
    request.scim_started = time.monotonic()


def note(request, *, outcome: str = "", resource_type: str = "", resource_id: str = "", resource_name: str = "") -> None:
    """What the view did, in words, for the record written when the response is final."""
    request.scim_outcome = outcome
    request.scim_resource = (resource_type, resource_id, resource_name)


def record(request, response, *, integration: Integration) -> RequestRecord:
    started = getattr(request, "scim_started", None)
    latency = int((time.monotonic() - started) * 1000) if started else 0
    error = getattr(response, "scim_error", None)
    resource_type, resource_id, resource_name = getattr(request, "scim_resource", ("", "", ""))
    if error is not None:
        failure = getattr(request, "scim_auth_failure", None)
        outcome = AUTH_FAILURES.get(failure) if response.status_code == 401 and failure else None
        outcome = outcome or error.detail
    else:
        outcome = getattr(request, "scim_outcome", "") or ""
    return RequestRecord.objects.create(
        organization_id=integration.organization_id,
        integration=integration,
        method=request.method[:10],
        path=redact(request.get_full_path())[:500],
        status=response.status_code,
        latency_ms=max(0, latency),
        client=redact(request.META.get("HTTP_USER_AGENT", ""))[:255],
        client_ip=request.META.get("REMOTE_ADDR") or None,
        outcome=redact(outcome)[:500],
        scim_type=(error.scim_type or "") if error is not None else "",
        resource_type=resource_type[:20],
        resource_id=resource_id[:36],
        resource_name=resource_name[:512],
    )
