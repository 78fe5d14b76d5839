"""One command from a fresh checkout to a working product: migrate, a demo organization with an
admin login and a SCIM integration, then the development server."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

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


class Command(BaseCommand):
    help = "Set up a demo organization, admin login and SCIM integration, then run the dev server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="Set up only; do not start the server.")
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="Address for runserver.")

    def handle(self, *args, no_serve: bool, addrport: str, **options) -> None:
        if settings.SETTINGS_MODULE.endswith(".production"):
            # The demo admin's password is published in the README: never on a production setup.
            raise CommandError(
                "demo creates a login with a published password and does not run with production "
                "settings. For a real organization use: manage.py org_admin --org SLUG --email EMAIL --create-org"
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
        base = f"http://{addrport}" if "://" not in addrport else addrport
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
