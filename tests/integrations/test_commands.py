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


def test_create_ends_its_json_and_every_message_with_a_newline(db):
    out, err = StringIO(), StringIO()
    call_command("scim_integration", "create", "--org", "new-co", "--create-org", stdout=out, stderr=err)
    assert out.getvalue().endswith("}\n") and out.getvalue().count("\n") == 1
    assert err.getvalue().endswith("\n") and err.getvalue().count("\n") == 2
    # As manage.py runs it, into one stream: each line whole, the JSON last.
    lines = (err.getvalue() + out.getvalue()).splitlines()
    assert lines[0].startswith("Created organization") and json.loads(lines[-1])["organization"] == "new-co"


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


# --- manage.py demo: where it serves and what it prints --------------------------------------


@pytest.mark.parametrize(
    ("addrport", "base"),
    [
        ("127.0.0.1:8601", "http://127.0.0.1:8601"),
        ("8602", "http://127.0.0.1:8602"),  # a port alone, as runserver takes it
        ("localhost:8603", "http://localhost:8603"),
        ("0.0.0.0:8604", "http://127.0.0.1:8604"),  # every address: this machine reaches it at 127.0.0.1
        ("[::1]:8605", "http://[::1]:8605"),
    ],
)
def test_demo_prints_the_urls_of_its_addrport_without_serving(db, settings, addrport, base):
    settings.PUBLIC_BASE_URL = ""
    out = StringIO()
    call_command("demo", "--no-serve", "--addrport", addrport, stdout=out)
    printed = out.getvalue()
    integration = Integration.objects.get(organization__slug="demo")
    assert f"Log in:    {base}/login/" in printed
    assert f"Admin:     {base}/admin/" in printed
    assert f"SCIM URL:  {base}/scim/v2/{integration.public_id}" in printed
    assert ":8000" not in printed


def test_demo_refuses_an_address_runserver_would_refuse(db):
    with pytest.raises(CommandError, match="is not a port or an address:port pair"):
        call_command("demo", "--no-serve", "--addrport", "http://127.0.0.1:8601", stdout=StringIO())


def _listening_socket():
    """A socket listening on a free port of 8680-8699 (the ports this project's tests may use)."""
    import socket

    for port in range(8680, 8700):
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            continue
        sock.listen()
        return sock, port
    pytest.skip("no free port in 8680-8699")


def test_demo_on_a_busy_port_says_how_to_serve_elsewhere_before_printing_anything(db, monkeypatch):
    from organizations.management.commands import demo

    served = []
    monkeypatch.setattr(demo, "call_command", lambda *args, **kwargs: served.append(args))
    sock, port = _listening_socket()
    out = StringIO()
    with sock, pytest.raises(CommandError) as refused:
        call_command("demo", "--addrport", f"127.0.0.1:{port}", stdout=out)
    assert str(refused.value) == (
        f"Port {port} on 127.0.0.1 is already in use (another demo or server?). "
        f"Serve on another port with: manage.py demo --addrport 127.0.0.1:{port + 1}"
    )
    assert served == [] and out.getvalue() == ""  # no set-up, no banner of URLs nobody serves


def test_demo_serves_on_a_free_port(db, monkeypatch):
    from organizations.management.commands import demo

    calls = []
    monkeypatch.setattr(demo, "call_command", lambda *args, **kwargs: calls.append((args, kwargs)))
    sock, port = _listening_socket()
    sock.close()  # free again
    call_command("demo", "--addrport", f"127.0.0.1:{port}", stdout=StringIO())
    assert calls[-1] == (("runserver", f"127.0.0.1:{port}"), {"use_reloader": False})
