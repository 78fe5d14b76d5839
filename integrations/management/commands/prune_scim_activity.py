"""Delete recorded SCIM requests older than the retention period, in small batches.

Safe to run from cron at any time and as often as you like: each batch is its own short
transaction (no long lock on the table the SCIM API writes to), a run that is interrupted simply
leaves the rest for the next one, and a run with nothing to delete does nothing.

    manage.py prune_scim_activity                 # SCIM_ACTIVITY_RETENTION_DAYS (default 90)
    manage.py prune_scim_activity --days 30 --dry-run
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from scim.models import RequestRecord

DEFAULT_BATCH_SIZE = 5000


class Command(BaseCommand):
    help = "Delete SCIM request activity older than SCIM_ACTIVITY_RETENTION_DAYS (or --days), in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Keep this many days of activity (default: SCIM_ACTIVITY_RETENTION_DAYS, "
            f"now {settings.SCIM_ACTIVITY_RETENTION_DAYS}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted; delete nothing."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows deleted per transaction (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args, days: int | None, dry_run: bool, batch_size: int, **options) -> None:
        verbosity = options.get("verbosity", 1)
        days = settings.SCIM_ACTIVITY_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1: pruning everything is not what this is for.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        cutoff = timezone.now() - timedelta(days=days)
        old = RequestRecord.objects.filter(created_at__lt=cutoff)
        when = f"{cutoff:%Y-%m-%d %H:%M} UTC"

        if dry_run:
            count = old.count()
            self.stdout.write(
                f"Dry run: {count} request record(s) older than {days} days ({when}) would be deleted."
            )
            return

        deleted = 0
        while True:
            with transaction.atomic():
                ids = list(old.order_by("id").values_list("id", flat=True)[:batch_size])
                if not ids:
                    break
                # The cutoff again: a row is never deleted unless it is old, whatever happened
                # between reading the ids and deleting them.
                batch, _ = RequestRecord.objects.filter(id__in=ids, created_at__lt=cutoff).delete()
            deleted += batch
            if verbosity >= 2 or (verbosity >= 1 and len(ids) == batch_size):
                self.stdout.write(f"  deleted {deleted} so far…")
        if verbosity >= 1:
            self.stdout.write(f"Deleted {deleted} request record(s) older than {days} days ({when}).")
