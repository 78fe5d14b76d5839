"""Each SCIM error the service returns maps to words an admin can act on (pure function).

The cases use the texts the service really answers (scim/views, scim/selectors, scim/services,
scim/protocol/resources, scim/activity), so a change of wording there shows up here."""

import pytest

from integrations.explanations import (
    Holder,
    auth_failure,
    contested_user_name,
    explain,
    refusal_reason,
    refusal_sentence,
)
from scim.activity import AUTH_FAILURES
from scim.protocol.resources import DISPLAY_NAME_REQUIRED, SCIM_1_DETAIL, USERNAME_REQUIRED
from scim.services import LAST_ADMIN, NO_ADMIN_LEFT

ID = "3f2c9a0b1c2d4e5f8a9b0c1d2e3f4a5b"

# What Entra's empty Secret Token field is recorded as, and the SCIM core's two last-admin
# refusals: the texts the service sends. The explanations match on their stable beginnings.
JWT = AUTH_FAILURES["jwt"]


def test_a_success_needs_no_explanation():
    assert explain(status=200) is None
    assert explain(status=204) is None


@pytest.mark.parametrize(
    ("reason", "title", "step_words"),
    [
        ("missing", "No token sent", "HTTP Header"),
        ("malformed", "Wrong kind of credentials", "bearer-token"),
        ("unknown", "Unknown token", "only the token"),
        ("other_endpoint", "Token of another integration", "same integration"),
        ("revoked", "Revoked token", "rotate"),
        ("disabled", "Integration disabled", "Enable"),
        ("jwt", "Token field empty in the identity provider", "Secret Token"),
    ],
)
def test_every_recorded_refusal_is_explained(reason, title, step_words):
    outcome = AUTH_FAILURES[reason]
    assert auth_failure(outcome) == reason
    explanation = explain(status=403 if reason == "disabled" else 401, detail=outcome)
    assert explanation.title == title
    assert step_words in explanation.next_step


# The two ways of getting "Bearer " wrong, as the SCIM core records them (see explanations.py).
DOUBLE_BEARER = AUTH_FAILURES["double_bearer"]
NO_SCHEME = AUTH_FAILURES["no_scheme"]


def test_bearer_pasted_twice_is_recognised_and_needs_no_rotation():
    assert auth_failure(DOUBLE_BEARER) == "double_bearer"
    explanation = explain(status=401, detail=DOUBLE_BEARER)
    assert explanation.title == "“Bearer” pasted twice"
    assert "only the token" in explanation.next_step and "No need to rotate" in explanation.next_step
    assert (
        refusal_sentence(DOUBLE_BEARER) == "Request refused: the Authorization header said “Bearer Bearer …”"
    )


def test_a_token_without_bearer_is_told_to_add_the_scheme():
    assert auth_failure(NO_SCHEME) == "no_scheme"
    step = explain(status=401, detail=NO_SCHEME).next_step
    assert "put “Bearer ” (with the space) before the token" in step


@pytest.mark.parametrize("reason", ["malformed", "unknown"])
def test_advice_for_todays_records_never_contradicts_either_bearer_mistake(reason):
    # Until the SCIM core records the two reasons above, a token without "Bearer " arrives as
    # "malformed" and "Bearer Bearer <token>" as "unknown": the advice must fit them too.
    explanation = explain(status=401, detail=AUTH_FAILURES[reason])
    words = explanation.explanation + explanation.next_step
    assert "without “Bearer ” in front" not in explanation.next_step or reason == "unknown"
    if reason == "malformed":
        assert "write “Bearer ” followed by the token" in words and "paste only the token" in words
    else:
        assert "“Bearer ” pasted in front of it" in words


def test_every_refusal_the_core_records_has_its_own_reason():
    for key, outcome in AUTH_FAILURES.items():
        assert auth_failure(outcome) == key, outcome
        assert refusal_reason(outcome), key


def test_an_empty_secret_token_in_entra_is_named_as_such():
    explanation = explain(status=401, detail=JWT)
    assert "Microsoft Entra ID" in explanation.explanation and "“eyJ”" in explanation.explanation
    assert "paste" in explanation.next_step.lower() and "mdscim_" in explanation.next_step
    assert refusal_sentence(JWT) == (
        "Request refused: the token was a JWT, not this integration's token (the identity "
        "provider's token field is probably empty)"
    )


@pytest.mark.parametrize(
    ("outcome", "sentence"),
    [
        (AUTH_FAILURES["revoked"], "Request refused: the token was revoked or has expired"),
        (AUTH_FAILURES["disabled"], "Request refused: the integration is disabled"),
        (AUTH_FAILURES["missing"], "Request refused: no bearer token was sent"),
        ("Created user x", "Request refused"),
    ],
)
def test_refusals_read_as_one_sentence_without_a_dangling_time(outcome, sentence):
    assert refusal_sentence(outcome) == sentence


# status, detail (as the service answers it), method, path under the base URL, title, words that
# the next step must contain, words it must not contain.
CASES = [
    # A path the service doesn't have, after the integration id: the base URL is wrong.
    (
        404,
        f"No SCIM endpoint at /scim/v2/{ID}/v2/Users. Resources live at /Users and /Groups.",
        "GET",
        "/v2/Users",
        "No such address",
        "base URL",
        "re-push",
    ),
    # The base URL already ends in /Users (or /Groups) and the IdP appended its own.
    (
        404,
        "User Users not found.",
        "GET",
        "/Users/Users",
        "Base URL ends in /Users",
        "remove /Users from the end of the base URL",
        "re-push",
    ),
    (
        404,
        "User Groups not found.",
        "GET",
        "/Users/Groups",
        "Base URL ends in /Users",
        "remove /Users",
        "re-push",
    ),
    (
        404,
        "Group Groups not found.",
        "PATCH",
        "/Groups/Groups",
        "Base URL ends in /Groups",
        "remove /Groups",
        "re-push",
    ),
    (
        404,
        f"No SCIM endpoint at /scim/v2/{ID}/Users/Users/abc. Resources live at /Users and /Groups.",
        "PUT",
        "/Users/Users/abc",
        "Base URL ends in /Users",
        "remove /Users",
        "re-push",
    ),
    (
        405,
        "The method POST is not allowed on this endpoint.",
        "POST",
        "/Users/Users",
        "Base URL ends in /Users",
        "remove /Users",
        "turn off",
    ),
    # A real id that is not (or no longer) here.
    (
        404,
        "User 2819c223-7f76-453a-919d-413861904646 not found.",
        "GET",
        "/Users/2819c223-7f76-453a-919d-413861904646",
        "Not found here",
        "re-push",
        "base URL",
    ),
    (
        404,
        "Group 2819c223-7f76-453a-919d-413861904646 not found.",
        "PATCH",
        "/Groups/2819c223-7f76-453a-919d-413861904646",
        "Not found here",
        "re-push",
        "base URL",
    ),
    (
        405,
        "The method DELETE is not allowed on this endpoint.",
        "DELETE",
        "/Users",
        "Operation not supported",
        "base URL",
        "remove /Users",
    ),
    # 400s that no attribute mapping can fix.
    (400, SCIM_1_DETAIL, "POST", "/Users", "SCIM 1.1 request", "SCIM 2.0 connector", "mapping"),
    (
        400,
        "No user with id 1b2c, 9f8e in this organization; group members must be existing users.",
        "PATCH",
        "/Groups/x",
        "Group members not provisioned",
        "assign those people to the application first",
        "mapping",
    ),
    (
        400,
        "members[0].value is required: the id of a user",
        "POST",
        "/Groups",
        "Members not readable",
        "SCIM 2.0 connector",
        "mapping",
    ),
    (
        400,
        "members must be an array of members",
        "PUT",
        "/Groups/x",
        "Members not readable",
        "SCIM 2.0 connector",
        "mapping",
    ),
    # 400s that are a mapping problem.
    (400, USERNAME_REQUIRED, "POST", "/Users", "Required attribute missing", "Map userName", ""),
    (400, DISPLAY_NAME_REQUIRED, "POST", "/Groups", "Required attribute missing", "displayName", ""),
    (400, "active must be a boolean", "PUT", "/Users/x", "Invalid value", "mapping", ""),
    (
        403,
        "This SCIM endpoint is served over HTTPS only: use the https:// URL.",
        "GET",
        "/Users",
        "Plain HTTP refused",
        "https://",
        "Turn off",
    ),
]


@pytest.mark.parametrize(("status", "detail", "method", "path", "title", "must", "must_not"), CASES)
def test_each_error_gets_the_advice_that_fits_it(status, detail, method, path, title, must, must_not):
    explanation = explain(
        status=status,
        scim_type="invalidValue" if status == 400 else "",
        detail=detail,
        method=method,
        path=path,
    )
    assert explanation.title == title
    assert must in explanation.next_step
    if must_not:
        assert must_not not in explanation.next_step


def test_a_username_conflict_names_who_holds_it_now():
    detail = "userName 'alice@acme.test' is already taken by another user in this organization."
    assert contested_user_name(status=409, scim_type="uniqueness", detail=detail) == "alice@acme.test"
    holder = Holder(
        name="Alice Johnson",
        email="alice@acme.test",
        user_name="Alice@acme.test",
        is_active=False,
        is_scim_managed=False,
        membership_id=7,
    )
    explanation = explain(status=409, scim_type="uniqueness", detail=detail, holder=holder)
    assert explanation.title == "userName already taken"
    # The record is from then; the holder is looked up now, and the words say which is which.
    assert explanation.explanation == (
        "When this request was made, “alice@acme.test” was already taken. It now belongs to Alice "
        "Johnson (deactivated, added manually, not by an identity provider)."
    )
    assert "remove their manual membership" in explanation.next_step
    assert explanation.holder is holder


def test_a_username_conflict_held_by_another_integration_says_so():
    detail = "userName 'bob' is already taken by another user in this organization."
    holder = Holder("Bob", "bob@x.test", "bob", True, True, integration_name="Okta (old)")
    explanation = explain(status=409, scim_type="uniqueness", detail=detail, holder=holder)
    assert "(active, managed by the integration “Okta (old)”)" in explanation.explanation
    assert "provisioned twice" in explanation.next_step


def test_a_username_conflict_without_a_holder_now_speaks_of_then():
    detail = "userName 'ghost' is already taken by another user in this organization."
    explanation = explain(status=409, scim_type="uniqueness", detail=detail)
    assert explanation.explanation.startswith("When this request was made")
    assert "“ghost”" in explanation.explanation and "Members page" in explanation.next_step


# Every 409 the SCIM core sends, and what the admin reads: (detail, scimType, title, words the
# explanation must contain, words the next step must contain, words neither may contain).
CONFLICTS = [
    (
        LAST_ADMIN,
        "",
        "Last admin kept",
        "last active admin",
        "Make someone else who can sign in here an admin first",
        "userName",
    ),
    (
        NO_ADMIN_LEFT,
        "",
        "Last admin kept",
        "group mapped to Admin",
        "Make someone else who can sign in here an admin first",
        "userName",
    ),
    # Only the stable beginnings count: a rewording of the rest still finds its explanation.
    (
        "This person is the organization's last active administrator. (Reworded.)",
        "",
        "Last admin kept",
        "nothing changed",
        "under Role, choose Admin",
        "already taken",
    ),
    (
        "This change would leave the organization without an active administrator (reworded).",
        "",
        "Last admin kept",
        "whole change was refused",
        "retry in your identity provider",
        "already taken",
    ),
    (
        "userName 'ada@acme.test' is already taken by another user in this organization.",
        "uniqueness",
        "userName already taken",
        "“ada@acme.test”",
        "Members page",
        "choose Admin",
    ),
    (
        "displayName 'Engineering' is already used by another group in this organization.",
        "uniqueness",
        "Group name already used",
        "“Engineering”",
        "Rename the group in your identity provider",
        "choose Admin",
    ),
]


@pytest.mark.parametrize(("detail", "scim_type", "title", "says", "step", "never"), CONFLICTS)
def test_each_conflict_gets_its_own_explanation(detail, scim_type, title, says, step, never):
    explanation = explain(status=409, scim_type=scim_type, detail=detail)
    assert explanation.title == title
    assert says in explanation.explanation
    assert step in explanation.next_step
    assert never not in explanation.explanation + explanation.next_step


def test_a_last_admin_refusal_is_no_username_conflict():
    for detail in (LAST_ADMIN, NO_ADMIN_LEFT):
        assert contested_user_name(status=409, scim_type="", detail=detail) is None


def test_a_group_name_conflict_gives_advice_that_works_here():
    detail = "displayName 'Engineering' is already used by another group in this organization."
    assert contested_user_name(status=409, scim_type="uniqueness", detail=detail) is None
    explanation = explain(status=409, scim_type="uniqueness", detail=detail)
    assert "“Engineering”" in explanation.explanation
    # The Teams page renames nothing; it deletes only a team whose integration was deleted.
    assert "rename the existing team" not in explanation.next_step
    assert "“SCIM (integration deleted)”" in explanation.next_step and "link" in explanation.next_step


@pytest.mark.parametrize(
    ("status", "scim_type", "title"),
    [
        (400, "invalidFilter", "Filter not understood"),
        (400, "invalidValue", "Invalid value"),
        (400, "invalidSyntax", "Malformed request"),
        (400, "invalidPath", "Unknown attribute path"),
        (400, "noTarget", "Nothing to change"),
        (400, "mutability", "Read-only attribute"),
        (400, "tooMany", "Too many results"),
        (400, "", "Request not understood"),
        (403, "", "Not allowed"),
        (404, "", "Not found here"),
        (405, "", "Operation not supported"),
        (412, "", "Changed in the meantime"),
        (413, "", "Request too large"),
        (415, "", "Wrong content type"),
        (429, "", "Rate limited"),
        (500, "", "Our error"),
        (503, "", "Our error"),
        (418, "", "Request refused"),
    ],
)
def test_every_error_status_has_an_explanation_and_a_next_step(status, scim_type, title):
    explanation = explain(status=status, scim_type=scim_type, detail="whatever the service said")
    assert explanation.title == title
    assert explanation.explanation and explanation.next_step
