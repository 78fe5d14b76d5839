"""One command from a fresh checkout to a working product: migrate, a demo organization with an
admin login and a SCIM integration, then the development server."""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.commands.runserver import naiveip_re

from integrations import services as integration_services
from integrations.models import Integration
from integrations.selectors import scim_base_url
from organizations.services import admin_ensure, organization_get_or_create

DEMO_SLUG = "demo"
DEMO_NAME = "Demo Org"
DEMO_EMAIL = "admin@demo.test"
# A fixed, documented password: this is a local demo on the developer's own machine. The login is
# created once; a password changed afterwards is left alone.
DEMO_PASSWORD = "demo-admin-password"


DEFAULT_ADDRPORT = "127.0.0.1:8000"


@dataclass(frozen=True)
class Address:
    """Where runserver listens (`host`, `port`) and the base of the URLs printed for it."""

    host: str
    port: int
    ipv6: bool

    @property
    def base_url(self) -> str:
        # A server on every address (0.0.0.0, [::]) is reached on this machine at the loopback.
        host = {"0.0.0.0": "127.0.0.1", "0": "127.0.0.1", "[::]": "[::1]"}.get(self.host, self.host)
        return f"http://{host}:{self.port}"


def parse_addrport(addrport: str) -> Address:
    """`--addrport` as runserver reads it: "8001", "127.0.0.1:8001", "localhost:8001", "[::1]:8001"."""
    match = naiveip_re.match(addrport)
    if match is None:
        raise CommandError(f"“{addrport}” is not a port or an address:port pair, such as 127.0.0.1:8001.")
    host = match["addr"] or "127.0.0.1"
    return Address(host=host, port=int(match["port"]), ipv6=bool(match["ipv6"]))


def port_in_use(address: Address) -> bool:
    """Whether another process already listens there. Bound the way runserver binds (address
    reuse on, as Python's HTTP server sets it), so a port some earlier server left in TIME_WAIT
    counts as free, as it is for runserver."""
    family = socket.AF_INET6 if address.ipv6 else socket.AF_INET
    host = address.host.strip("[]")
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, address.port))
        except OSError as error:
            # Only a busy port is ours to explain; runserver reports any other failure itself.
            return error.errno == errno.EADDRINUSE
    return False


class Command(BaseCommand):
    help = "Set up a demo organization, admin login and SCIM integration, then run the dev server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="Set up only; do not start the server.")
        parser.add_argument(
            "--addrport",
            default=DEFAULT_ADDRPORT,
            help="Where to serve, and the address the printed URLs use (default 127.0.0.1:8000).",
        )

    def handle(self, *args, no_serve: bool, addrport: str, **options) -> None:
        # SETTINGS_MODULE is None under override_settings (tests) and settings.configure().
        if (settings.SETTINGS_MODULE or "").endswith(".production"):
            # The demo admin's password is published in the README: never on a production setup.
            raise CommandError(
                "demo creates a login with a published password and does not run with production "
                "settings. For a real organization use: manage.py org_admin --org SLUG --email EMAIL --create-org"
            )
        address = parse_addrport(addrport)
        if not no_serve and port_in_use(address):
            # runserver would print everything below, then only "That port is already in use" and
            # exit: say it first, with the way out.
            raise CommandError(
                f"Port {address.port} on {address.host} is already in use (another demo or server?). "
                f"Serve on another port with: manage.py demo --addrport {address.host}:{address.port + 1}"
            )
        call_command("migrate", interactive=False, verbosity=0)
        organization, _ = organization_get_or_create(slug=DEMO_SLUG, name=DEMO_NAME)
        user, _ = admin_ensure(
            organization=organization,
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            full_name="Demo Admin",
            staff=True,
        )
        base = address.base_url
        integration = Integration.objects.filter(organization=organization).order_by("created_at").first()
        token = None
        if integration is None:
            integration, token = integration_services.integration_create(
                organization=organization, created_by=user
            )

        out = self.stdout.write
        out("")
        out(self.style.SUCCESS(f"Demo organization “{organization.name}” is ready."))
        out(f"  Log in:    {base}/login/")
        out(f"  Email:     {DEMO_EMAIL}")
        if user.check_password(DEMO_PASSWORD):
            out(f"  Password:  {DEMO_PASSWORD}")
        else:
            out("  Password:  (changed since the demo created it; use yours)")
        out(f"  Admin:     {base}/admin/ (the same login is staff)")
        out(
            f"  SCIM URL:  {scim_base_url(integration=integration, base_url=settings.PUBLIC_BASE_URL or base)}"
        )
        if token:
            out(f"  Token:     {token}")
            out(self.style.WARNING("  The token is shown once: copy it now. Only its digest is stored."))
        else:
            out("  Token:     shown once when created. For a new one, rotate it on the integration page,")
            out(f"             or run: python manage.py scim_integration rotate --id {integration.public_id}")
        out("")
        if not no_serve:
            # No auto-reloader: it would run this command twice and print the banner twice.
            call_command("runserver", addrport, use_reloader=False)
