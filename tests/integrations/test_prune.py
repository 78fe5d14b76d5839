"""`manage.py prune_scim_activity`: old request activity goes, recent activity and everything else
stays; safe to run from cron (idempotent, batched, quiet when asked)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from scim.models import RequestRecord
from tests.factories import make_integration


@pytest.fixture
def integration(db):
    return make_integration()[0]


def make_records(integration, *, days_old: int, n: int):
    when = timezone.now() - timedelta(days=days_old)
    RequestRecord.objects.bulk_create(
        RequestRecord(
            organization=integration.organization,
            integration=integration,
            method="GET",
            path="/Users",
            status=200,
            created_at=when,
        )
        for _ in range(n)
    )


def run(*args, verbosity=1):
    out = StringIO()
    call_command("prune_scim_activity", *args, stdout=out, verbosity=verbosity)
    return out.getvalue()


def test_deletes_only_what_is_older_than_the_retention(integration, settings):
    settings.SCIM_ACTIVITY_RETENTION_DAYS = 30
    make_records(integration, days_old=31, n=7)
    make_records(integration, days_old=29, n=3)
    output = run()
    assert "Deleted 7 request record(s) older than 30 days" in output
    assert RequestRecord.objects.count() == 3


def test_days_option_overrides_the_setting_in_batches_with_progress(integration):
    make_records(integration, days_old=10, n=12)
    make_records(integration, days_old=1, n=2)
    output = run("--days", "5", "--batch-size", "5")
    assert output.count("deleted") >= 2  # progress lines for the full batches
    assert "Deleted 12 request record(s)" in output
    assert RequestRecord.objects.count() == 2


def test_dry_run_deletes_nothing(integration):
    make_records(integration, days_old=100, n=4)
    assert "Dry run: 4 request record(s)" in run("--dry-run")
    assert RequestRecord.objects.count() == 4


def test_running_again_is_harmless(integration):
    make_records(integration, days_old=100, n=2)
    run()
    assert "Deleted 0 request record(s)" in run()


def test_quiet_for_cron_at_verbosity_0(integration):
    make_records(integration, days_old=100, n=2)
    output = run("--batch-size", "1", verbosity=0)
    assert "so far" not in output
    assert RequestRecord.objects.count() == 0


@pytest.mark.parametrize("args", [("--days", "0"), ("--batch-size", "0")])
def test_refuses_nonsense(integration, args):
    with pytest.raises(CommandError):
        run(*args)
