"""What a failed SCIM request means for the admin, and what to do about it.

Pure Python: a recorded request's status, scimType and detail in, an explanation and a next step
out. The activity view calls it for each failed request; the one fact that needs the database
(who already holds a contested userName) is looked up by the selector, in one batch per page, and
passed in as `holder`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# scim/activity.AUTH_FAILURES: the outcome of a refused request names the reason in words.
_AUTH_REASONS = (
    ("no bearer token", "missing"),
    ("not 'bearer <token>'", "malformed"),
    ("belongs to a different integration", "other_endpoint"),
    ("revoked or has expired", "revoked"),
    ("not valid for this integration", "unknown"),
    ("integration is disabled", "disabled"),
)
# scim/services._uniqueness_error and _group_conflict, with either quote style.
_TAKEN_USER = re.compile(r"userName ['‘“\"](?P<name>.+?)['’”\"] is already taken", re.IGNORECASE)
_TAKEN_GROUP = re.compile(r"displayName ['‘“\"](?P<name>.+?)['’”\"] is already used", re.IGNORECASE)


@dataclass(frozen=True)
class Holder:
    """The person who already holds a userName in this organization."""

    name: str
    email: str
    user_name: str
    is_active: bool
    is_scim_managed: bool
    integration_name: str = ""  # the integration managing them, if any
    membership_id: int | None = None


@dataclass(frozen=True)
class Explanation:
    title: str
    explanation: str
    next_step: str
    holder: Holder | None = None


def auth_failure(outcome: str) -> str | None:
    """The reason a request was refused before it reached any data ("revoked", "disabled", ...)."""
    lowered = (outcome or "").lower()
    if not lowered.startswith("refused"):
        return None
    return next((reason for needle, reason in _AUTH_REASONS if needle in lowered), "unknown")


def contested_user_name(*, status: int, scim_type: str, detail: str) -> str | None:
    """The userName a 409 was about, when the detail names one."""
    if status != 409:
        return None
    match = _TAKEN_USER.search(detail or "")
    return match.group("name") if match else None


def refusal_sentence(outcome: str) -> str:
    """A refused request in one sentence an admin reads at a glance."""
    return {
        "missing": "A request without a bearer token was refused",
        "malformed": "A request with a malformed Authorization header was refused",
        "unknown": "A request with an unknown token was refused",
        "other_endpoint": "A request with another integration's token was refused",
        "revoked": "A request with a revoked or expired token was refused",
        "disabled": "A request was refused because the integration is disabled",
    }.get(auth_failure(outcome) or "", "A request was refused")


def _auth_explanation(reason: str) -> Explanation:
    return {
        "missing": Explanation(
            "No token sent",
            "The request reached this endpoint without an Authorization header.",
            "In your identity provider, set the authentication mode to a bearer token (Okta: "
            "“HTTP Header”) and paste the token.",
        ),
        "malformed": Explanation(
            "Wrong kind of credentials",
            "The Authorization header was not “Bearer <token>” (for example Basic authentication).",
            "Choose bearer-token authentication in your identity provider and paste only the token, "
            "without “Bearer ” in front of it.",
        ),
        "unknown": Explanation(
            "Unknown token",
            "The token sent matches no token of any integration: it was mistyped, cut short when "
            "copied, or comes from another environment.",
            "Rotate the token here and paste the new one into your identity provider.",
        ),
        "other_endpoint": Explanation(
            "Token of another integration",
            "The token is valid, but for a different SCIM endpoint than the URL it was sent to.",
            "Paste the SCIM Endpoint URL and the token of the same integration into your identity provider.",
        ),
        "revoked": Explanation(
            "Revoked token",
            "The token was revoked, or its grace period after a rotation ended.",
            "Paste the current token into your identity provider; if you no longer have it, rotate "
            "the token to get a new one.",
        ),
        "disabled": Explanation(
            "Integration disabled",
            "Every request is refused while the integration is disabled; nothing was changed.",
            "Enable the integration when you want provisioning to resume.",
        ),
    }[reason]


def _conflict_explanation(*, detail: str, holder: Holder | None) -> Explanation:
    group = _TAKEN_GROUP.search(detail or "")
    if group:
        return Explanation(
            "Group name already used",
            f"A team named “{group.group('name')}” already exists in this organization.",
            "Rename the group in your identity provider, or delete or rename the existing team.",
        )
    user_name = contested_user_name(status=409, scim_type="uniqueness", detail=detail) or "this userName"
    if holder is None:
        return Explanation(
            "userName already taken",
            f"Another person in this organization already has the userName “{user_name}”.",
            "Find that person on the Members page. If it is the same person, assign them to the "
            "application in your identity provider; otherwise give one of them another userName.",
        )
    who = holder.name or holder.email or holder.user_name
    state = "active" if holder.is_active else "deactivated"
    if holder.is_scim_managed:
        managed = f"managed by {holder.integration_name}" if holder.integration_name else "managed by SCIM"
    else:
        managed = "added manually, not by your identity provider"
    if holder.is_scim_managed:
        step = (
            "They are probably provisioned twice: by another app or integration, or under a new "
            "externalId. Remove the duplicate assignment in your identity provider, or give one of them "
            "another userName."
        )
    else:
        step = (
            "If it is the same person, remove their manual membership and let your identity provider "
            "create them again; otherwise give the new person another userName in your identity provider."
        )
    return Explanation(
        "userName already taken",
        f"“{user_name}” already belongs to {who} ({state}, {managed}).",
        step,
        holder=holder,
    )


def explain(
    *, status: int, scim_type: str = "", detail: str = "", holder: Holder | None = None
) -> Explanation | None:
    """An admin's explanation and next step for a recorded SCIM response; None when it succeeded.

    `detail` is what the service told the IdP (or, for a refused request, the recorded outcome).
    """
    if status < 400:
        return None
    scim_type = scim_type or ""
    reason = auth_failure(detail)
    if status in (401, 403) and reason:
        return _auth_explanation(reason)
    if status == 401:
        return _auth_explanation("unknown")
    if status == 409:
        return _conflict_explanation(detail=detail, holder=holder)
    if status == 400:
        return _bad_request(scim_type)
    known = _BY_STATUS.get(status)
    if known is not None:
        return known
    if status >= 500:
        return _BY_STATUS[500]
    return Explanation(
        "Request refused",
        "The service could not carry out this request as sent.",
        "Check the detail below; if your identity provider keeps sending it, contact support with the time.",
    )


def _bad_request(scim_type: str) -> Explanation:
    return _BY_SCIM_TYPE.get(scim_type) or Explanation(
        "Request not understood",
        "The identity provider sent a request the service could not read.",
        "Check the attribute mappings in your identity provider; the detail says which value is wrong.",
    )


_BY_SCIM_TYPE = {
    "invalidFilter": Explanation(
        "Filter not understood",
        "The identity provider searched with a filter the service cannot read, so nothing was looked up.",
        "Check custom attribute mappings used for matching users; if the filter looks standard, "
        "contact support with the time of the request.",
    ),
    "invalidValue": Explanation(
        "Invalid value",
        "A required attribute was missing or had a value of the wrong kind, so nothing was changed.",
        "Fix the mapping of that attribute in your identity provider (the detail names it), then "
        "retry provisioning for the person.",
    ),
    "invalidSyntax": Explanation(
        "Malformed request",
        "The request body was not a SCIM document the service could read.",
        "Check custom attribute mappings and expressions in your identity provider.",
    ),
    "invalidPath": Explanation(
        "Unknown attribute path",
        "A PATCH operation pointed at an attribute this service does not have.",
        "Remove or correct the mapping to that attribute in your identity provider.",
    ),
    "noTarget": Explanation(
        "Nothing to change",
        "A PATCH operation's path matched no value on the resource.",
        "Usually harmless: your identity provider retries with a full update. If it repeats, "
        "re-push the person from your identity provider.",
    ),
    "mutability": Explanation(
        "Read-only attribute",
        "The identity provider tried to change an attribute that cannot be changed (such as id).",
        "Remove the mapping to that attribute in your identity provider.",
    ),
    "tooMany": Explanation(
        "Too many results",
        "The search would return more results than the service sends at once.",
        "Narrow the filter or page through results; no action is usually needed.",
    ),
    "uniqueness": Explanation(
        "Already taken",
        "A value that must be unique is already used in this organization.",
        "Give one of the two another value in your identity provider.",
    ),
}

_BY_STATUS = {
    403: Explanation(
        "Not allowed",
        "The service does not allow this operation.",
        "Turn off the feature that sends it in your identity provider (the detail says which).",
    ),
    404: Explanation(
        "Not found here",
        "The person or group the identity provider asked for is not in this integration: it was "
        "deleted, or was created through another integration.",
        "In your identity provider, re-push the person or group (or unassign and reassign them) so "
        "it is created again.",
    ),
    405: Explanation(
        "Operation not supported",
        "The service does not support this operation at this address.",
        "Turn off the provisioning feature that sends it in your identity provider.",
    ),
    412: Explanation(
        "Changed in the meantime",
        "The resource changed since the identity provider last read it, so this update was refused.",
        "No action needed: identity providers read the resource again and retry.",
    ),
    413: Explanation(
        "Request too large",
        "The request body was larger than the service accepts.",
        "Push large groups in smaller batches, or contact support to raise the limit.",
    ),
    415: Explanation(
        "Wrong content type",
        "The body was not sent as JSON.",
        "Check that your identity provider is configured for SCIM 2.0 (not SCIM 1.1 or a custom API).",
    ),
    429: Explanation(
        "Rate limited",
        "The identity provider sent more requests per minute than this integration allows.",
        "No action needed: identity providers slow down and retry. If it persists, contact support.",
    ),
    500: Explanation(
        "Our error",
        "The service failed while handling this request; nothing was changed and the error was logged.",
        "Your identity provider retries on its own. If it keeps failing, contact support with the time.",
    ),
}
