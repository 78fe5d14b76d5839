"""Each SCIM error the service returns maps to words an admin can act on (pure function)."""

import pytest

from integrations.explanations import Holder, auth_failure, contested_user_name, explain, refusal_sentence
from scim.activity import AUTH_FAILURES


def test_a_success_needs_no_explanation():
    assert explain(status=200) is None
    assert explain(status=204) is None


@pytest.mark.parametrize(
    ("reason", "title", "step_words"),
    [
        ("missing", "No token sent", "HTTP Header"),
        ("malformed", "Wrong kind of credentials", "bearer-token"),
        ("unknown", "Unknown token", "Rotate"),
        ("other_endpoint", "Token of another integration", "same integration"),
        ("revoked", "Revoked token", "rotate"),
        ("disabled", "Integration disabled", "Enable"),
    ],
)
def test_every_recorded_refusal_is_explained(reason, title, step_words):
    outcome = AUTH_FAILURES[reason]
    assert auth_failure(outcome) == reason
    explanation = explain(status=403 if reason == "disabled" else 401, detail=outcome)
    assert explanation.title == title
    assert step_words in explanation.next_step


def test_refusals_read_as_one_sentence():
    assert (
        refusal_sentence(AUTH_FAILURES["revoked"]) == "A request with a revoked or expired token was refused"
    )
    assert refusal_sentence("Created user x") == "A request was refused"


def test_a_username_conflict_names_who_holds_it():
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
    assert explanation.explanation == (
        "“alice@acme.test” already belongs to Alice Johnson (deactivated, added manually, not by your "
        "identity provider)."
    )
    assert "remove their manual membership" in explanation.next_step
    assert explanation.holder is holder


def test_a_username_conflict_held_by_another_integration_says_so():
    detail = "userName 'bob' is already taken by another user in this organization."
    holder = Holder("Bob", "bob@x.test", "bob", True, True, integration_name="Okta (old)")
    explanation = explain(status=409, scim_type="uniqueness", detail=detail, holder=holder)
    assert "(active, managed by Okta (old))" in explanation.explanation
    assert "provisioned twice" in explanation.next_step


def test_a_username_conflict_without_holder_still_guides():
    detail = "userName 'ghost' is already taken by another user in this organization."
    explanation = explain(status=409, scim_type="uniqueness", detail=detail)
    assert "“ghost”" in explanation.explanation and "Members page" in explanation.next_step


def test_a_group_name_conflict():
    detail = "displayName 'Engineering' is already used by another group in this organization."
    assert contested_user_name(status=409, scim_type="uniqueness", detail=detail) is None
    assert "“Engineering”" in explain(status=409, scim_type="uniqueness", detail=detail).explanation


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
