"""Paging parameters: index-based (RFC 7644 section 3.4.2.4) and cursor-based (RFC 9865)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from .errors import ScimError, bad_request

INVALID_CURSOR = "invalidCursor"  # RFC 9865 section 3
# Far past the end of any organization, and well inside a database's 64-bit OFFSET.
MAX_START_INDEX = 2**31
MAX_CURSOR_LENGTH = 200


@dataclass(frozen=True)
class Page:
    start_index: int  # 1-based
    count: int  # how many resources to return; 0 = only totalResults
    cursor: str | None = None  # None: index paging; "" : first cursor page; else an opaque cursor

    @property
    def offset(self) -> int:
        return self.start_index - 1

    @property
    def uses_cursor(self) -> bool:
        return self.cursor is not None


def _integer(name: str, raw) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise bad_request(f"{name} must be an integer, got {raw!r}.")
    if isinstance(raw, int):
        return raw
    try:
        return int(str(raw).strip())
    except ValueError:
        raise bad_request(f"{name} must be an integer, got {str(raw)[:40]!r}.") from None


def parse_page(*, start_index=None, count=None, cursor=None, default_count: int, max_count: int) -> Page:
    """startIndex below 1 counts as 1 and a negative count as 0 (RFC 7644 section 3.4.2.4);
    a count above the maximum is lowered to it (the response's itemsPerPage says so).
    Okta steps startIndex by 100, so `max_count` must be at least 100."""
    start = _integer("startIndex", start_index)
    size = _integer("count", count)
    start = 1 if start is None or start < 1 else min(start, MAX_START_INDEX)
    size = default_count if size is None else max(0, min(size, max_count))
    if cursor is not None and not isinstance(cursor, str):
        raise bad_request("cursor must be a string.")
    if cursor is not None and start_index not in (None, ""):
        raise bad_request("Use either startIndex or cursor, not both.")
    return Page(start_index=start, count=size, cursor=cursor)


def encode_cursor(last_key: int) -> str:
    raw = json.dumps({"a": last_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    """The key after which the page starts; None for the first page (an empty cursor)."""
    if cursor == "":
        return None
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise ScimError(400, "The cursor is not one this service issued.", INVALID_CURSOR)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        key = data["a"]
        if not isinstance(key, int) or isinstance(key, bool) or key < 0:
            raise ValueError
        return key
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise ScimError(400, "The cursor is not one this service issued.", INVALID_CURSOR) from None
