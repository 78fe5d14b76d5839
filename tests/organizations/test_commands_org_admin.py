"""The production path to a first admin, and the demo's refusal to run with DEBUG off."""

import pytest
from django.core.management import CommandError, call_command

from organizations.models import Membership, Role


def test_org_admin_creates_a_login_with_a_random_password(db, capsys):
    call_command("org_admin", "--org", "acme", "--email", "boss@acme.test", "--create-org")
    out = capsys.readouterr().out
    password = out.split("change it after logging in): ")[1].splitlines()[0].strip()
    membership = Membership.objects.get(user__email="boss@acme.test", organization__slug="acme")
    assert membership.role == Role.ADMIN and membership.user.check_password(password)


def test_org_admin_refuses_an_unknown_organization(db):
    with pytest.raises(CommandError):
        call_command("org_admin", "--org", "nope", "--email", "x@acme.test")


def test_demo_refuses_to_run_with_production_settings(db, settings):
    settings.SETTINGS_MODULE = "massdriver_scim.settings.production"
    with pytest.raises(CommandError, match="published password"):
        call_command("demo", "--no-serve")


def test_org_admin_gives_a_password_to_a_login_an_identity_provider_made(db, capsys):
    # Found by an adversarial run: the person existed with no password (an IdP created them in
    # another organization), so the new organization's only admin could not sign in.
    from organizations.models import User

    User.objects.create_user("boss@corp.test", None)  # as SCIM creates a login: no password
    call_command("org_admin", "--org", "brandnew", "--email", "boss@corp.test", "--create-org")
    out = capsys.readouterr().out
    password = out.split("change it after logging in): ")[1].splitlines()[0].strip()
    assert User.objects.get(email="boss@corp.test").check_password(password)
    # Run again, the password they may have changed since is kept.
    call_command("org_admin", "--org", "brandnew", "--email", "boss@corp.test")
    assert "its password is unchanged" in capsys.readouterr().out
    assert User.objects.get(email="boss@corp.test").check_password(password)


def test_org_admin_finds_an_existing_login_typed_with_spaces_and_another_case(db, capsys):
    # Found by an adversarial run: " plain0@x.test " crashed on the logins' unique email.
    call_command("org_admin", "--org", "acme", "--email", "plain0@x.test", "--create-org")
    capsys.readouterr()
    call_command("org_admin", "--org", "acme", "--email", " Plain0@X.test ")
    assert "its password is unchanged" in capsys.readouterr().out
    assert Membership.objects.filter(organization__slug="acme").count() == 1
