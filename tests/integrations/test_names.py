"""Integrations are told apart by their names: set when created (or SCIM, SCIM 2, …), renamed on
the integration's page, shown in the list, the audit trail, the Members page and the activity."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from integrations.models import AuditEvent, Integration
from integrations.services import integration_create, integration_rename
from tests.factories import make_integration, make_scim_user


def test_unnamed_integrations_get_distinct_default_names(org):
    names = [integration_create(organization=org)[0].name for _ in range(3)]
    assert names == ["SCIM", "SCIM 2", "SCIM 3"]


def test_a_name_is_unique_in_the_organization_ignoring_case(org, other_org):
    integration_create(organization=org, name="Okta")
    with pytest.raises(ValueError, match="already named"):
        integration_create(organization=org, name="okta")
    assert integration_create(organization=other_org, name="Okta")[0].name == "Okta"


def test_the_create_form_takes_an_optional_name(admin_client, org):
    url = reverse("integrations:create", args=[org.slug])
    assert 'name="name"' in admin_client.get(url).content.decode()
    admin_client.post(url, {"auth_type": "token", "name": "  Okta production  "})
    admin_client.post(url, {"auth_type": "token", "name": ""})
    assert sorted(Integration.objects.filter(organization=org).values_list("name", flat=True)) == [
        "Okta production",
        "SCIM",
    ]
    response = admin_client.post(url, {"auth_type": "token", "name": "OKTA production"})
    assert response.status_code == 200 and "Another integration is already named" in response.content.decode()
    assert Integration.objects.filter(organization=org).count() == 2


def test_renaming_on_the_integration_page_is_audited_and_shown_next_to_the_form(admin_client, org):
    integration, _ = make_integration(org)
    make_integration(org, name="Entra")
    url = reverse("integrations:rename", args=[org.slug, integration.public_id])
    response = admin_client.post(url, {"name": "Okta production"})
    assert response.status_code == 302 and response["Location"].endswith("#settings-h")
    integration.refresh_from_db()
    assert integration.name == "Okta production"
    event = AuditEvent.objects.get(integration=integration, action="integration.renamed")
    assert event.summary == "Renamed the integration from “SCIM” to “Okta production”."

    page = admin_client.get(response["Location"]).content.decode()
    settings = page[page.index('id="settings-h"') :]
    assert "Renamed to “Okta production”." in settings
    assert "Renamed to" not in page[: page.index('id="settings-h"')]

    refused = admin_client.post(url, {"name": "entra"}, follow=True).content.decode()
    assert "Not renamed: Another integration is already named “entra”" in refused
    integration.refresh_from_db()
    assert integration.name == "Okta production"


def test_the_name_is_shown_in_the_list_the_audit_trail_and_a_persons_activity(admin_client, org):
    from tests.integrations.test_activity import record

    integration, _ = make_integration(org, name="Okta production")
    person = make_scim_user(integration, "pat@acme.test", display_name="Pat")
    record(
        integration,
        method="POST",
        path="/Users",
        status=201,
        outcome="Created user pat@acme.test",
        resource_type="User",
        resource_id=person.scim_id,
    )
    listing = admin_client.get(reverse("integrations:list", args=[org.slug])).content.decode()
    audit = admin_client.get(reverse("integrations:audit", args=[org.slug])).content.decode()
    person_page = admin_client.get(
        reverse("organizations:member", args=[org.slug, person.membership_id])
    ).content.decode()
    assert "Okta production" in listing
    assert "Created SCIM integration “Okta production”" in audit
    activity = person_page[person_page.index('id="idp-did-h"') :]
    assert "Okta production" in activity


def test_staff_rename_in_django_admin_follows_the_same_rule(org):
    integration, _ = make_integration(org)
    make_integration(org, name="Entra")
    with pytest.raises(ValueError):
        integration_rename(integration=integration, name="ENTRA")
    from integrations.admin import IntegrationAdminForm

    form = IntegrationAdminForm(data={"name": "entra"}, instance=integration)
    assert not form.is_valid() and "already named" in str(form.errors["name"])


def test_the_command_names_integrations_and_refuses_a_duplicate(db, capsys):
    call_command("scim_integration", "create", "--org", "acme", "--create-org")
    call_command("scim_integration", "create", "--org", "acme")
    assert list(Integration.objects.order_by("created_at").values_list("name", flat=True)) == [
        "SCIM",
        "SCIM 2",
    ]
    with pytest.raises(CommandError, match="already named"):
        call_command("scim_integration", "create", "--org", "acme", "--name", "scim")


def test_only_the_organizations_admins_rename(member_client, org, other_org):
    from django.test import Client

    from tests.factories import AdminMembershipFactory

    integration, _ = make_integration(org)
    url = reverse("integrations:rename", args=[org.slug, integration.public_id])
    assert member_client.post(url, {"name": "Mine"}).status_code == 403
    outsider = Client()
    outsider.force_login(AdminMembershipFactory(organization=other_org).user)
    assert outsider.post(url, {"name": "Mine"}).status_code == 404
    assert Client().post(url, {"name": "Mine"}).status_code == 302  # to the login page
    integration.refresh_from_db()
    assert integration.name == "SCIM"


def test_an_admin_chooses_application_json_answers_and_it_is_audited(admin_client, org):
    from integrations.models import Integration

    integration, _ = make_integration(org)
    url = reverse("integrations:answers", args=[org.slug, integration.public_id])
    response = admin_client.post(url, {"response_media_type": "application/json"}, follow=True)
    assert response.status_code == 200
    assert "Answers are sent as application/json" in response.content.decode()
    integration.refresh_from_db()
    assert integration.response_media_type == Integration.ResponseMediaType.JSON
    assert AuditEvent.objects.filter(action="integration.response_media_type").exists()
    refused = admin_client.post(url, {"response_media_type": "text/html"}, follow=True)
    assert "Not saved" in refused.content.decode()
    integration.refresh_from_db()
    assert integration.response_media_type == Integration.ResponseMediaType.JSON


def test_a_name_with_a_bidi_override_is_refused_with_the_reason(admin_client, org):
    # Found by an adversarial run: "Okta \u202enoitcudorp" read backwards in the audit trail.
    with pytest.raises(ValueError, match="invisible formatting characters"):
        integration_create(organization=org, name="Okta \u202enoitcudorp")
    url = reverse("integrations:create", args=[org.slug])
    page = admin_client.post(url, {"auth_type": "token", "name": "Okta \u202enoitcudorp"}).content.decode()
    assert "can&#x27;t hold invisible formatting characters" in page
    assert not Integration.objects.filter(organization=org).exists()


@pytest.mark.parametrize("lookalike", ["Tok\u00a0test", "Ｔｏｋ test", "TOK  test", " tok test "])
def test_a_name_that_reads_the_same_as_another_is_taken(org, lookalike):
    # Found by an adversarial run: a no-break space and fullwidth letters made a second
    # "Tok test" in the list, two rows reading alike.
    integration, _ = integration_create(organization=org, name="Tok test")
    with pytest.raises(ValueError, match="already named"):
        integration_create(organization=org, name=lookalike)
    other, _ = integration_create(organization=org, name="Tok test 2")
    with pytest.raises(ValueError, match="already named"):
        integration_rename(integration=other, name=lookalike)
    integration_rename(integration=integration, name=lookalike)  # its own name, written otherwise


@pytest.mark.parametrize("name", ["a\nb", "tab\there", "x\x07bell", "cr\rlf"])
def test_a_name_with_control_characters_is_refused_with_the_reason(admin_client, org, name):
    with pytest.raises(ValueError, match="control characters"):
        integration_create(organization=org, name=name)
    integration, _ = integration_create(organization=org, name="Okta")
    url = reverse("integrations:rename", args=[org.slug, integration.public_id])
    admin_client.post(url, {"name": name})
    integration.refresh_from_db()
    assert integration.name == "Okta"
