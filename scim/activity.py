"""Recording of SCIM requests for the admin's activity view and for staff.

A request that changed something is recorded inside its own transaction, so the change and its
record commit together or not at all; a refused request is recorded after its rollback."""

from __future__ import annotations

import re
import time

from integrations.models import Integration
from organizations.text import with_visible_controls

from .models import RequestRecord
from .statements import Insert

OKTA, ENTRA, ONELOGIN, JUMPCLOUD = "Okta", "Microsoft Entra ID", "OneLogin", "JumpCloud"

# Substrings of a User-Agent, lower case. Okta: "Okta SCIM Client 1.0.0" in provisioning,
# "OKTA SCIM Integration" in its conformance suite (OKTA-REF, OKTA-SPECTEST). The others have no
# documented User-Agent; their names are matched if they ever send one.
IDP_SIGNATURES = (
    ("okta", OKTA),
    ("onelogin", ONELOGIN),
    ("jumpcloud", JUMPCLOUD),
    ("microsoft", ENTRA),
    ("azure", ENTRA),
    ("entra", ENTRA),
)
ENTRA_URL_FLAG = "aadoptscim062020"
_GUID_LOOKUP = re.compile(
    r'^\s*(username|externalid|displayname)\s+eq\s+"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"\s*$',
    re.IGNORECASE,
)
_ENTRA_OPS = {"Add", "Replace", "Remove"}

AUTH_FAILURES = {
    "missing": "Refused: no bearer token was sent",
    "malformed": "Refused: the Authorization header is not 'Bearer <token>'",
    # An admin pasted the token where the IdP wanted the whole header value, or "Bearer <token>"
    # where the IdP adds "Bearer " itself: said as such, these are fixed in a minute.
    "no_scheme": "Refused: the Authorization header has a token but no 'Bearer ' in front of it",
    "double_bearer": "Refused: the Authorization header says 'Bearer' twice ('Bearer Bearer <token>')",
    "jwt": "Refused: the token is a JWT, not a token of this service: the IdP's secret token field is probably empty",
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
    """Which identity provider sent the request, or "" when nothing says so for sure.

    A User-Agent naming the IdP decides. Without one, only what Entra alone is documented to do
    counts (IDP-BEHAVIORS section 3): the `aadOptscim062020` flag on the Tenant URL, Test
    Connection's lookup of a random GUID, `excludedAttributes=members` on group reads, and its
    default PATCH dialect (capitalised ops, "True"/"False" strings). Other clients that send no
    User-Agent (the runner of our case files, curl without -A) stay unnamed rather than named
    wrongly."""
    agent = request.META.get("HTTP_USER_AGENT", "").lower()
    for needle, name in IDP_SIGNATURES:
        if needle in agent:
            return name
    if ENTRA_URL_FLAG in request.META.get("QUERY_STRING", "").lower():
        return ENTRA
    if agent:
        return ""
    return ENTRA if _entra_fingerprint(request) else ""


def _entra_fingerprint(request) -> bool:
    query = getattr(request, "query_params", None) or request.GET
    method = request.method
    if method == "GET":
        if _GUID_LOOKUP.match(query.get("filter") or ""):
            return True
        excluded = (query.get("excludedAttributes") or "").strip().lower()
        return excluded == "members" and "/groups" in request.path.lower()
    if method == "PATCH":
        try:
            body = request.data
        except Exception:  # noqa: BLE001 - a body we could not read tells us nothing
            return False
        operations = body.get("Operations") if isinstance(body, dict) else None
        for operation in operations if isinstance(operations, list) else []:
            if not isinstance(operation, dict):
                continue
            if operation.get("op") in _ENTRA_OPS or operation.get("value") in ("True", "False"):
                return True
    return False


def start(request) -> None:
    request.scim_started = time.monotonic()


def note(
    request, *, outcome: str = "", resource_type: str = "", resource_id: str = "", resource_name: str = ""
) -> None:
    """What the view did, in words, for the record written when the response is final."""
    request.scim_outcome = outcome
    request.scim_resource = (resource_type, resource_id, resource_name)


_URL_RESOURCE_TYPES = {
    "users": "User",
    "users-search": "User",
    "user": "User",
    "groups": "Group",
    "groups-search": "Group",
    "group": "Group",
}


def _resource_from_url(request) -> tuple[str, str]:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "", ""
    resource_type = _URL_RESOURCE_TYPES.get(match.url_name or "", "")
    resource_id = match.kwargs.get("resource_id", "") if resource_type else ""
    return resource_type, resource_id


def _attempted_name(request, resource_type: str) -> str:
    """The userName (or group displayName) a failed create or replace was about, from the body
    already parsed (never parsing it here: the body may be what failed)."""
    if request.method not in ("POST", "PUT") or not resource_type:
        return ""
    data = getattr(request, "_full_data", None)
    if not isinstance(data, dict):
        return ""
    value = data.get("userName" if resource_type == "User" else "displayName")
    return value if isinstance(value, str) else ""


_insert_record = Insert(RequestRecord)


def record(request, response, *, integration: Integration, linked: bool = True) -> None:
    """Write the request's activity record. `linked=False` (a request that never authenticated)
    ties it to no person or group: a stranger's request must not appear in someone's history."""
    started = getattr(request, "scim_started", None)
    latency = int((time.monotonic() - started) * 1000) if started else 0
    error = getattr(response, "scim_error", None)
    resource_type, resource_id, resource_name = getattr(request, "scim_resource", ("", "", ""))
    if error is not None:
        failure = getattr(request, "scim_auth_failure", None)
        # 401 for a bad token, 403 for a disabled integration: both are refusals at the door.
        outcome = AUTH_FAILURES.get(failure) if response.status_code in (401, 403) and failure else None
        # An error quoting what the client sent: shown as written, invisible characters spelled out.
        outcome = outcome or with_visible_controls(error.detail)
    else:
        outcome = getattr(request, "scim_outcome", "") or ""
    if not resource_type:
        # A request that failed before the view noted its resource: take it from the URL, so the
        # admin's "Users"/"Groups" filter and a person's history still find the failure.
        resource_type, url_id = _resource_from_url(request)
        resource_id = resource_id or url_id
    if error is not None and not resource_name:
        resource_name = _attempted_name(request, resource_type)
    if not linked:
        resource_id = resource_name = ""
    _insert_record(
        organization_id=integration.organization_id,
        integration_id=integration.pk,
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
