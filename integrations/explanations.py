"""What a failed SCIM request means for the admin, and what to do about it.

Pure Python: a recorded request's status, scimType and detail in, an explanation and a next step
out. The activity view calls it for each failed request; the one fact that needs the database
(who already holds a contested userName) is looked up by the selector, in one batch per page, and
passed in as `holder`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# scim/activity.AUTH_FAILURES: the outcome of a refused request names the reason in words; these
# are stable parts of those words (lower-cased), most specific first.
_AUTH_REASONS = (
    ("says 'bearer' twice", "double_bearer"),
    ("no 'bearer ' in front", "no_scheme"),
    # "Refused: the token is a JWT, not a token of this service: …": what Entra sends when its
    # Secret Token field is left empty (a token of its own, "eyJ…").
    ("token is a jwt", "jwt"),
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


_REFUSAL_REASONS = {
    "missing": "no bearer token was sent",
    "malformed": "the Authorization header was not “Bearer <token>”",
    "no_scheme": "the token was sent without “Bearer ” in front of it",
    "double_bearer": "the Authorization header said “Bearer Bearer …”",
    "jwt": "the token was a JWT, not this integration's token (the identity provider's token field is probably empty)",
    "unknown": "the token is not one of this integration's tokens",
    "other_endpoint": "the token belongs to another integration",
    "revoked": "the token was revoked or has expired",
    "disabled": "the integration is disabled",
}


def refusal_reason(outcome: str) -> str:
    """Why a request was refused, as the end of a sentence ("the integration is disabled")."""
    return _REFUSAL_REASONS.get(auth_failure(outcome) or "", "")


def refusal_sentence(outcome: str) -> str:
    """A refused request in words an admin reads at a glance, without its time (the page writes
    the time beside it): "Request refused: the integration is disabled"."""
    reason = refusal_reason(outcome)
    return f"Request refused: {reason}" if reason else "Request refused"


# Where an IdP's field adds "Bearer " by itself, so only the token goes in.
_FIELDS_THAT_ADD_BEARER = (
    "Okta's HTTP Header, Entra's Secret Token, OneLogin's SCIM Bearer Token and JumpCloud's Token Key"
)


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
            "The Authorization header was not “Bearer <token>”: either another kind of credentials "
            "(such as Basic authentication), or the token with nothing in front of it.",
            "Choose bearer-token authentication in your identity provider. Where its field adds "
            f"“Bearer ” itself ({_FIELDS_THAT_ADD_BEARER}), paste only the token; where you type "
            "the whole header value, write “Bearer ” followed by the token.",
        ),
        "no_scheme": Explanation(
            "“Bearer ” missing",
            "The Authorization header carried the token alone; it must read “Bearer <token>”.",
            "Where you typed the header value in your identity provider, put “Bearer ” (with the "
            f"space) before the token. Fields that add it themselves ({_FIELDS_THAT_ADD_BEARER}) "
            "need only the token.",
        ),
        "double_bearer": Explanation(
            "“Bearer” pasted twice",
            "The Authorization header read “Bearer Bearer …”: “Bearer <token>” was pasted into a "
            "field that adds “Bearer ” by itself. The token itself may well be right.",
            "In your identity provider, paste only the token (starting with mdscim_), without "
            "“Bearer ” in front of it. No need to rotate it.",
        ),
        "jwt": Explanation(
            "Token field empty in the identity provider",
            "The identity provider sent a JWT (a token starting with “eyJ”) instead of this "
            "integration's token. Microsoft Entra ID does this when its Secret Token field is left "
            "empty: it then sends a token of its own, which this service cannot accept.",
            "Paste the Bearer Token (starting with mdscim_) into your identity provider's token "
            "field (Entra: Provisioning → Admin Credentials → Secret Token) and test the connection "
            "again. If you no longer have the token, rotate it here and paste the new one.",
        ),
        "unknown": Explanation(
            "Unknown token",
            "The token sent matches no token of this integration: it was mistyped, cut short when "
            "copied, comes from another environment, or has “Bearer ” pasted in front of it in a "
            "field that adds “Bearer ” itself.",
            "Paste the token again into your identity provider: only the token, starting with "
            "mdscim_. If you no longer have it, rotate the token here and paste the new one.",
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
            f"A group named “{group.group('name')}” already exists in this organization (pushed by "
            "another integration, or by one since deleted), and group names are unique here.",
            # Teams can't be renamed here: only the IdP names them, and only an orphaned team
            # (its integration deleted) can be deleted from the Teams page.
            "Rename the group in your identity provider, or link the identity provider's group to "
            "the existing one (Okta's Push Groups offers to link a group of the same name). If the "
            "Teams page marks the existing team “SCIM (integration deleted)”, you can delete it "
            "there instead; the next push then creates it anew.",
        )
    user_name = contested_user_name(status=409, scim_type="uniqueness", detail=detail) or "this userName"
    # The record keeps only what the service answered then; who holds the userName is looked up
    # when the page is shown. So the page says "then" for the conflict and "now" for the holder.
    if holder is None:
        return Explanation(
            "userName already taken",
            f"When this request was made, another person in this organization already had the "
            f"userName “{user_name}”.",
            "Find that person on the Members page (if nobody has this userName any more, your "
            "identity provider's next retry succeeds). If it is the same person, assign them to the "
            "application in your identity provider; otherwise give one of them another userName.",
        )
    who = holder.name or holder.email or holder.user_name
    state = "active" if holder.is_active else "deactivated"
    if holder.is_scim_managed:
        managed = (
            f"managed by the integration “{holder.integration_name}”"
            if holder.integration_name
            else "managed by SCIM"
        )
        step = (
            "They are probably provisioned twice: by another app or integration, or under a new "
            "externalId. Remove the duplicate assignment in your identity provider, or give one of them "
            "another userName."
        )
    else:
        managed = "added manually, not by an identity provider"
        step = (
            "If it is the same person, remove their manual membership and let your identity provider "
            "create them again; otherwise give the new person another userName in your identity provider."
        )
    return Explanation(
        "userName already taken",
        f"When this request was made, “{user_name}” was already taken. It now belongs to {who} "
        f"({state}, {managed}).",
        step,
        holder=holder,
    )


def explain(
    *,
    status: int,
    scim_type: str = "",
    detail: str = "",
    holder: Holder | None = None,
    method: str = "",
    path: str = "",
) -> Explanation | None:
    """An admin's explanation and next step for a recorded SCIM response; None when it succeeded.

    `detail` is what the service told the IdP (or, for a refused request, the recorded outcome);
    `method` and `path` (under the base URL) tell a wrong base URL from a missing resource.
    """
    if status < 400:
        return None
    scim_type = scim_type or ""
    detail = detail or ""
    reason = auth_failure(detail)
    if status in (401, 403) and reason:
        return _auth_explanation(reason)
    if status == 401:
        return _auth_explanation("unknown")
    extra = _doubled_resource(detail=detail, path=path)
    if extra and status in (404, 405):
        return _extra_resource_in_base_url(extra)
    if status == 409:
        if detail.startswith(_LAST_ADMIN):
            return _BY_DETAIL["last_admin"]
        if detail.startswith(_NO_ADMIN_LEFT):
            return _BY_DETAIL["no_admin_left"]
        return _conflict_explanation(detail=detail, holder=holder)
    if status == 400:
        return _bad_request(scim_type, detail)
    if status == 404:
        return _not_found(detail)
    if status == 403 and _HTTPS_ONLY in detail:
        return _BY_DETAIL["https"]
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


# What the SCIM service answers (scim/views.NotFoundView, scim/selectors, scim/services,
# scim/protocol/resources, scim/middleware); matched on their stable beginnings.
_NO_ENDPOINT = "No SCIM endpoint at "
_HTTPS_ONLY = "served over HTTPS only"
# scim/services.LAST_ADMIN and NO_ADMIN_LEFT: the IdP may not leave the organization without an
# active admin. Both are 409s with no scimType; without these they read as a userName conflict.
_LAST_ADMIN = "This person is the organization's last active administrator"
_NO_ADMIN_LEFT = "This change would leave the organization without an active administrator"
_SCIM_1 = "This is a SCIM 2.0 endpoint"
_UNKNOWN_MEMBERS = re.compile(r"^No user with id .* group members must be existing users", re.S)
_MEMBER_SHAPE = re.compile(r"^members\b")
_REQUIRED = re.compile(r"^(userName|displayName) is required")
# "User Users not found.": the id asked for is a resource type, so the base URL already ended in
# /Users (the kind asked for: "User") and the IdP appended /Users or /Groups to it. The path form catches what reaches no view
# (/Users/Users/<id>) and the 405 of `POST /Users/Users`.
_DOUBLED_DETAIL = re.compile(r"^(?P<extra>User|Group) (?:Users|Groups) not found", re.IGNORECASE)
_DOUBLED_PATH = re.compile(r"/(?P<extra>Users|Groups)/+(?:Users|Groups)(?:/|\?|$)", re.IGNORECASE)


def _doubled_resource(*, detail: str, path: str) -> str:
    """ "/Users" or "/Groups" when the base URL in the IdP already ends in it, else ""."""
    match = _DOUBLED_DETAIL.match(detail) or _DOUBLED_PATH.search(path or "")
    if not match:
        return ""
    return "/Users" if match.group("extra").lower().startswith("user") else "/Groups"


def _extra_resource_in_base_url(extra: str) -> Explanation:
    return Explanation(
        f"Base URL ends in {extra}",
        f"The identity provider's base URL already ends in {extra}, and it appended /Users or "
        f"/Groups to it: the service read “{extra.strip('/')}” as the id of a resource (or as "
        "an address it has no such operation at).",
        f"In your identity provider, remove {extra} from the end of the base URL: it must be exactly "
        "the SCIM Endpoint URL, ending in the integration id. The identity provider adds /Users "
        "and /Groups itself.",
    )


def _not_found(detail: str) -> Explanation:
    if detail.startswith(_NO_ENDPOINT):
        return _BY_DETAIL["no_endpoint"]
    return _BY_STATUS[404]


def _bad_request(scim_type: str, detail: str = "") -> Explanation:
    # Some 400s are not about an attribute mapping at all; their detail says which (the scimType
    # alone, invalidValue, would send the admin to fix a mapping that is fine).
    if detail.startswith(_SCIM_1):
        return _BY_DETAIL["scim_1"]
    if _UNKNOWN_MEMBERS.match(detail):
        return _BY_DETAIL["unknown_members"]
    if _MEMBER_SHAPE.match(detail):
        return _BY_DETAIL["member_shape"]
    if _REQUIRED.match(detail):
        return _BY_DETAIL["required"]
    return _BY_SCIM_TYPE.get(scim_type) or Explanation(
        "Request not understood",
        "The identity provider sent a request the service could not read.",
        "Check the attribute mappings in your identity provider; the detail says which value is wrong.",
    )


# What to do about both last-admin refusals: the same way out.
_ANOTHER_ADMIN_FIRST = (
    "Make someone else who can sign in here an admin first: on their page (Members), under "
    "Role, choose Admin; or put them in a group mapped to Admin (the integration's Groups and "
    "roles card). Then retry in your identity provider (Okta: Retry on the failed task; Entra ID, "
    "OneLogin and JumpCloud retry at their next sync)."
)

_BY_DETAIL = {
    "last_admin": Explanation(
        "Last admin kept",
        "Your identity provider tried to end the access of the organization's last active admin "
        "(it deactivated, unassigned or deleted them). That would leave nobody able to manage the "
        "organization, so the request was refused and nothing changed.",
        _ANOTHER_ADMIN_FIRST,
    ),
    "no_admin_left": Explanation(
        "Last admin kept",
        "The group change took the admin role away from the organization's last active admin: it "
        "removed them from a group mapped to Admin, replaced the group's members, or deleted the "
        "group. That would leave nobody able to manage the organization, so the whole change was "
        "refused and nothing changed.",
        _ANOTHER_ADMIN_FIRST,
    ),
    "no_endpoint": Explanation(
        "No such address",
        "The request went to a path under this integration's base URL that the service does not "
        "have: the base URL in your identity provider has something extra after the integration id.",
        "Check the base URL in your identity provider: it must be exactly the SCIM Endpoint URL shown "
        "above, ending in the integration id, with nothing after it. The identity provider adds "
        "/Users and /Groups itself.",
    ),
    "https": Explanation(
        "Plain HTTP refused",
        "The request was sent over http://; this service takes SCIM requests over HTTPS only.",
        "Use the https:// SCIM Endpoint URL in your identity provider.",
    ),
    "scim_1": Explanation(
        "SCIM 1.1 request",
        "The identity provider sent a SCIM 1.1 request (its schemas say urn:scim:schemas:core:1.0); "
        "this service speaks SCIM 2.0 only. No attribute mapping can fix that.",
        "Choose the identity provider's SCIM 2.0 connector (OneLogin: “SCIM Provisioner with SAML "
        "(SCIM v2 Enterprise)”; JumpCloud: SCIM Version 2.0), then provision again.",
    ),
    "unknown_members": Explanation(
        "Group members not provisioned",
        "The group named members who are not people of this organization (not created here yet, "
        "or deleted), so the whole group change was refused and nothing changed.",
        "In your identity provider, assign those people to the application first, so they are "
        "created here; then push the group again.",
    ),
    "member_shape": Explanation(
        "Members not readable",
        "The group's members were not sent as SCIM 2.0 member objects (each with the id of a user "
        "as its value), so nothing changed.",
        "Check that your identity provider uses its SCIM 2.0 connector; if it does, contact support "
        "with the time of the request.",
    ),
    "required": Explanation(
        "Required attribute missing",
        "Users need a userName and groups a displayName; the request had none, so nothing was changed.",
        "Map userName (for users) or displayName (for groups) in your identity provider's attribute "
        "mappings, then provision again.",
    ),
}

_BY_SCIM_TYPE = {
    "invalidFilter": Explanation(
        "Filter not understood",
        "The identity provider searched with a filter the service cannot read, so nothing was looked up.",
        "Check custom attribute mappings used for matching users; if the filter looks standard, "
        "contact support with the time of the request.",
    ),
    "invalidValue": Explanation(
        "Invalid value",
        "An attribute had a value of the wrong kind or size, so nothing was changed.",
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
        "The person or group the identity provider asked for is not in this organization: it was "
        "deleted here (a deleted person answers 404 to every request), or never existed.",
        "In your identity provider, re-push the person or group (or unassign and reassign them) so "
        "it is created again.",
    ),
    405: Explanation(
        "Operation not supported",
        "The service does not support this method at this address.",
        "Check that the base URL in your identity provider is exactly the SCIM Endpoint URL (ending in "
        "the integration id); if it is, turn off the provisioning feature that sends this request.",
    ),
    412: Explanation(
        "Changed in the meantime",
        "The resource changed since the identity provider last read it, so this update was refused.",
        "No action needed: identity providers read the resource again and retry.",
    ),
    413: Explanation(
        "Request too large",
        "The request body was larger than the service accepts.",
        "Push large groups in smaller batches, or ask the operator of this service to raise the limit.",
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
