"""Create or rotate a SCIM integration from the shell (CI, scripts, first setup).

The LAST line of the output is one JSON object, so a script can read it with `tail -n1`.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations import services
from integrations.forms import MAX_GRACE_HOURS
from integrations.models import Integration
from integrations.selectors import scim_base_url
from organizations.models import Organization
from organizations.services import organization_get_or_create


class Command(BaseCommand):
    help = "Create a SCIM integration (printing its URL and token once) or rotate its token."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create an integration for an organization.")
        create.add_argument("--org", required=True, help="The organization's slug.")
        create.add_argument(
            "--create-org", action="store_true", help="Create the organization if it is missing."
        )
        create.add_argument(
            "--name", default="", help="The integration's name (default: SCIM, then SCIM 2, SCIM 3, …)."
        )
        create.add_argument(
            "--base-url", help="Public base URL (default: PUBLIC_BASE_URL or http://127.0.0.1:8000)."
        )
        rotate = sub.add_parser("rotate", help="Issue a new token for an integration.")
        rotate.add_argument(
            "--id", required=True, dest="public_id", help="The integration's id (from its URL)."
        )
        rotate.add_argument(
            "--grace-hours",
            type=int,
            default=0,
            help="Hours the old token keeps working (default: revoke now).",
        )
        rotate.add_argument(
            "--base-url", help="Public base URL (default: PUBLIC_BASE_URL or http://127.0.0.1:8000)."
        )

    def handle(self, *args, action: str, **options) -> None:
        if action == "create":
            result = self._create(**options)
        else:
            result = self._rotate(**options)
        # Its own line, newline-terminated (as every stderr line is): a script reads it with
        # `tail -n1`, and output captured together with stderr never runs into it.
        self.stdout.write(json.dumps(result), ending="\n")

    def _create(self, *, org: str, create_org: bool, name: str, base_url: str | None, **_) -> dict:
        if create_org:
            try:
                organization, created = organization_get_or_create(slug=org)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            if created:
                self.stderr.write(f"Created organization “{organization.name}” ({organization.slug}).")
        else:
            organization = Organization.objects.filter(slug=org).first()
            if organization is None:
                raise CommandError(f"No organization with slug “{org}”. Pass --create-org to create it.")
        try:
            integration, raw = services.integration_create(organization=organization, name=name)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write("The token below is shown once; only its digest is stored.")
        return self._result(integration, raw, base_url)

    def _rotate(self, *, public_id: str, grace_hours: int, base_url: str | None, **_) -> dict:
        integration = Integration.objects.select_related("organization").filter(public_id=public_id).first()
        if integration is None:
            raise CommandError(f"No integration with id “{public_id}”.")
        if not 0 <= grace_hours <= MAX_GRACE_HOURS:
            raise CommandError(f"--grace-hours must be between 0 and {MAX_GRACE_HOURS}.")
        raw = services.token_rotate(integration=integration, grace=timedelta(hours=grace_hours))
        return self._result(integration, raw, base_url)

    def _result(self, integration: Integration, raw: str, base_url: str | None) -> dict:
        return {
            "id": integration.public_id,
            "url": scim_base_url(integration=integration, base_url=base_url),
            "token": raw,
            "organization": integration.organization.slug,
            "organization_name": integration.organization.name,
        }
