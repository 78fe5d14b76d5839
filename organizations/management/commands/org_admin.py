"""Give a person an admin login for an organization — how the first admin of a production
organization gets in (the demo command's published password is for local trials only)."""

from __future__ import annotations

import secrets

from django.core.management.base import BaseCommand, CommandError, CommandParser

from organizations.models import Organization
from organizations.services import admin_ensure, organization_get_or_create


class Command(BaseCommand):
    help = "Create (or confirm) an admin login for an organization; a new login gets a random password, printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organization slug.")
        parser.add_argument("--email", required=True, help="The admin's email (their login).")
        parser.add_argument("--name", default="", help="The admin's full name.")
        parser.add_argument("--create-org", action="store_true", help="Create the organization if missing.")

    def handle(self, *args, org: str, email: str, name: str, create_org: bool, **options) -> None:
        if create_org:
            try:
                organization, _ = organization_get_or_create(slug=org)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        else:
            organization = Organization.objects.filter(slug=org).first()
            if organization is None:
                raise CommandError(f"No organization with slug “{org}”. Pass --create-org to create it.")
        password = secrets.token_urlsafe(18)
        user, password_set = admin_ensure(
            organization=organization, email=email, password=password, full_name=name
        )
        self.stdout.write(f"{email} is an admin of “{organization.name}” ({organization.slug}).")
        if password_set:
            self.stdout.write(f"Password (shown once; change it after logging in): {password}")
            self.stdout.write("Change it under “Change password” in the top bar, or at /password/.")
        else:
            self.stdout.write("The login already existed; its password is unchanged.")
