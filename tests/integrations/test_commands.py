"""`manage.py scim_integration` and `manage.py demo`: the last line is JSON a script can read."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from integrations.models import AuditEvent, Integration, IntegrationToken
from integrations.tokens import digest_token
from organizations.models import Membership, Organization, User


def _run(*args, **kwargs) -> tuple[dict, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **kwargs)
    last = out.getvalue().strip().splitlines()[-1]
    return json.loads(last), out.getvalue() + err.getvalue()


def test_create_prints_json_with_a_working_token(org, settings):
    settings.PUBLIC_BASE_URL = ""
    result, _ = _run("scim_integration", "create", "--org", org.slug)
    integration = Integration.objects.get(public_id=result["id"])
    assert integration.organization == org
    assert result["url"] == f"http://127.0.0.1:8000/scim/v2/{integration.public_id}"
    assert result["organization"] == "acme"
    token = IntegrationToken.objects.get(digest=digest_token(result["token"]))
    assert token.integration == integration and token.revoked_at is None


def test_create_with_base_url(org):
    result, _ = _run(
        "scim_integration", "create", "--org", org.slug, "--base-url", "https://scim.example.com/"
    )
    assert result["url"] == f"https://scim.example.com/scim/v2/{result['id']}"


def test_create_uses_public_base_url(org, settings):
    settings.PUBLIC_BASE_URL = "https://public.example.com"
    result, _ = _run("scim_integration", "create", "--org", org.slug)
    assert result["url"].startswith("https://public.example.com/scim/v2/")


def test_create_org(db):
    result, _ = _run("scim_integration", "create", "--org", "new-co", "--create-org")
    assert Organization.objects.get(slug="new-co").name == "New Co"
    assert result["organization"] == "new-co"


def test_unknown_org_is_an_error(db):
    with pytest.raises(CommandError, match="No organization with slug “missing”"):
        call_command("scim_integration", "create", "--org", "missing", stdout=StringIO(), stderr=StringIO())
    assert not Integration.objects.exists()


def test_unknown_org_exits_non_zero(db, capsys):
    # run_from_argv is what `manage.py` calls: a CommandError becomes a message and exit status 1.
    from integrations.management.commands.scim_integration import Command

    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv(["manage.py", "scim_integration", "create", "--org", "surely-missing"])
    assert exit_info.value.code != 0
    assert "No organization with slug “surely-missing”" in capsys.readouterr().err


def test_rotate_command(org):
    created, _ = _run("scim_integration", "create", "--org", org.slug)
    rotated, _ = _run("scim_integration", "rotate", "--id", created["id"])
    assert rotated["token"] != created["token"]
    old = IntegrationToken.objects.get(digest=digest_token(created["token"]))
    assert old.revoked_at is not None
    assert IntegrationToken.objects.get(digest=digest_token(rotated["token"])).revoked_at is None
    assert AuditEvent.objects.filter(action="token.rotated").exists()


def test_demo_sets_up_once_and_is_idempotent(db):
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)
    first = out.getvalue()
    org = Organization.objects.get(slug="demo")
    assert org.name == "Demo Org"
    user = User.objects.get(email="admin@demo.test")
    assert user.check_password("demo-admin-password")
    assert Membership.objects.get(organization=org, user=user).role == "admin"
    integration = Integration.objects.get(organization=org)
    raw = next(line.split()[-1] for line in first.splitlines() if line.strip().startswith("Token:"))
    assert IntegrationToken.objects.get(digest=digest_token(raw)).integration == integration
    for expected in (
        "http://127.0.0.1:8000/login/",
        "admin@demo.test",
        "demo-admin-password",
        integration.public_id,
    ):
        assert expected in first

    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)
    second = out.getvalue()
    assert Integration.objects.filter(organization=org).count() == 1
    assert User.objects.filter(email="admin@demo.test").count() == 1
    assert raw not in second
    assert "scim_integration rotate --id" in second
