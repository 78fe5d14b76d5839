"""Media types: `application/scim+json` in and out (RFC 7644 section 8.1), `application/json` too.

Entra wants `application/scim+json` answers; OneLogin's docs say `application/json`. The answer
uses `application/json` only when the client's Accept asks for it and not for SCIM's own type.
"""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

from .protocol.errors import INVALID_VALUE, ScimError, invalid_syntax

SCIM_MEDIA_TYPE = "application/scim+json"
MAX_JSON_DEPTH = 32


def _depth(value, limit: int) -> int:
    """Nesting depth of a parsed JSON value, stopping as soon as `limit` is passed."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return deepest


def unstorable_text(text: str) -> bool:
    """NUL (PostgreSQL text cannot hold it) or a lone surrogate (not a character: JSON allows
    "\\ud800" escapes, UTF-8 cannot encode them)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _holds_unstorable(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if unstorable_text(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class _NotJson(Exception):
    pass


def _not_json(constant: str):
    # Python's json reads NaN, Infinity and -Infinity; JSON has no such values, and a NaN stored
    # in an attribute would be written back out as invalid JSON to every IdP that reads it.
    raise _NotJson(constant)


def decode_json_body(raw: bytes):
    limit = settings.SCIM_MAX_PAYLOAD_BYTES
    if len(raw) > limit:
        raise ScimError(413, f"The request body is larger than the {limit}-byte limit.")
    if not raw.strip():
        return None
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_not_json)
    except _NotJson as exc:
        raise invalid_syntax(
            f"The request body is not valid JSON: {exc} is not a JSON value (RFC 8259 has no NaN or Infinity)."
        ) from None
    except UnicodeDecodeError:
        raise invalid_syntax("The request body is not UTF-8 text.") from None
    except RecursionError:
        raise invalid_syntax(f"The request body nests JSON deeper than {MAX_JSON_DEPTH} levels.") from None
    except json.JSONDecodeError as exc:
        raise invalid_syntax(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}."
        ) from None
    except ValueError as exc:
        # Python refuses integer literals of more than 4300 digits (CVE-2020-10735).
        raise invalid_syntax(f"The request body holds a number this service cannot read: {exc}") from None
    if _depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise invalid_syntax(f"The request body nests JSON deeper than {MAX_JSON_DEPTH} levels.")
    if _holds_unstorable(data):
        raise ScimError(
            400,
            "The request body holds a NUL character or an unpaired surrogate (\\u0000, \\ud800-\\udfff), "
            "which no attribute can store.",
            INVALID_VALUE,
        )
    return data


class ScimJSONParser(BaseParser):
    """Reads a JSON body under any of the JSON media types, refusing oversized bodies with 413
    before reading them whole."""

    media_type = SCIM_MEDIA_TYPE

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.SCIM_MAX_PAYLOAD_BYTES
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise ScimError(413, f"The request body is larger than the {limit}-byte limit.")
        raw = stream.read(limit + 1) if stream is not None else b""
        return decode_json_body(raw)


class PlainJSONParser(ScimJSONParser):
    media_type = "application/json"


class TextJSONParser(ScimJSONParser):
    # Okta's own examples show text/json; harmless to accept.
    media_type = "text/json"


class ScimJSONRenderer(BaseRenderer):
    media_type = SCIM_MEDIA_TYPE
    format = "scim"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class PlainJSONRenderer(ScimJSONRenderer):
    media_type = "application/json"
    format = "json"


def _accepted(request) -> set[str]:
    """The JSON media types the Accept header asks for (media ranges with q=0 excluded)."""
    wanted = set()
    for part in request.META.get("HTTP_ACCEPT", "").lower().split(","):
        media_type, *params = (piece.strip() for piece in part.split(";"))
        refused = any(param.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for param in params)
        if media_type in (SCIM_MEDIA_TYPE, "application/json") and not refused:
            wanted.add(media_type)
    return wanted


def states_preference(request) -> bool:
    """Whether the Accept header asks for either JSON media type (not just */* or nothing)."""
    return bool(_accepted(request))


def prefers_plain_json(request) -> bool:
    accepted = _accepted(request)
    if accepted:
        return accepted == {"application/json"}
    sent = (request.META.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    return sent == "application/json"


class ScimContentNegotiation(BaseContentNegotiation):
    """Never answers 406: a SCIM client gets JSON whatever its Accept header says."""

    def select_parser(self, request, parsers):
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if not content_type:
            return parsers[0]  # no Content-Type: read the body as SCIM JSON
        return next((parser for parser in parsers if parser.media_type == content_type), None)

    def select_renderer(self, request, renderers, format_suffix=None):
        """application/scim+json (RFC 7644 section 8.1; Entra requires it), unless the client
        asks for application/json (Accept), or states no preference and sent its body as
        application/json: OneLogin's documentation requires application/json answers and it
        sends application/json bodies. `prefers_plain_json` says which."""
        scim, plain = renderers[0], renderers[1]
        return (plain, plain.media_type) if prefers_plain_json(request) else (scim, scim.media_type)
