"""URL converters of the web pages."""

from django.urls import register_converter


class RowIdConverter:
    """A row's id in a URL: at most 18 digits, what a 64-bit primary key holds. Django's `int`
    takes any number of digits, and on SQLite an id past 2**63 fails the query with an
    OverflowError (a 500) instead of finding nothing (a 404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


register_converter(RowIdConverter, "id")
