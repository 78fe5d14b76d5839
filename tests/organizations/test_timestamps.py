"""Every page writes a moment the same way: month in words, 24-hour time, the time zone named."""

from datetime import UTC, datetime

from django.template import Context, Template

from organizations.timestamps import format_timestamp

MOMENT = datetime(2026, 12, 5, 6, 51, 7, tzinfo=UTC)


def test_a_moment_has_date_time_and_time_zone():
    assert format_timestamp(MOMENT) == "Dec 5, 2026, 06:51 UTC"
    assert format_timestamp(MOMENT, seconds=True) == "Dec 5, 2026, 06:51:07 UTC"
    assert format_timestamp(None) == ""


def test_the_filter_wraps_it_in_a_machine_readable_time_element():
    html = Template(
        '{% load timestamps %}{{ m|timestamp }}|{{ m|timestamp:"seconds" }}|{{ m|timestamp_text }}'
    )
    assert html.render(Context({"m": MOMENT})) == (
        '<time datetime="2026-12-05T06:51:07+00:00">Dec 5, 2026, 06:51 UTC</time>|'
        '<time datetime="2026-12-05T06:51:07+00:00">Dec 5, 2026, 06:51:07 UTC</time>|'
        "Dec 5, 2026, 06:51 UTC"
    )
    assert Template("{% load timestamps %}{{ m|timestamp }}").render(Context({"m": None})) == ""
