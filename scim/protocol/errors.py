"""SCIM errors (RFC 7644 section 3.12): one exception type, rendered as an Error body by the API.

`status` is a JSON string in the body, as the RFC's examples show; `scimType` is set for 400/409
errors where the RFC defines one.
"""

from __future__ import annotations

from .schemas import ERROR_URN

INVALID_FILTER = "invalidFilter"
TOO_MANY = "tooMany"
UNIQUENESS = "uniqueness"
MUTABILITY = "mutability"
INVALID_SYNTAX = "invalidSyntax"
INVALID_PATH = "invalidPath"
NO_TARGET = "noTarget"
INVALID_VALUE = "invalidValue"
INVALID_VERSION = "invalidVers"
SENSITIVE = "sensitive"


class ScimError(Exception):
    """A request the service refuses, with the status and the words the client will see."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        self.headers = headers or {}

    def to_scim(self) -> dict:
        body = {"schemas": [ERROR_URN], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body

    def __repr__(self) -> str:
        return f"ScimError({self.status}, {self.scim_type!r}, {self.detail!r})"


def bad_request(detail: str, scim_type: str = INVALID_VALUE) -> ScimError:
    return ScimError(400, detail, scim_type)


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, INVALID_FILTER)


def invalid_path(detail: str) -> ScimError:
    return ScimError(400, detail, INVALID_PATH)


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, INVALID_SYNTAX)


def mutability(detail: str) -> ScimError:
    return ScimError(400, detail, MUTABILITY)


def no_target(detail: str) -> ScimError:
    return ScimError(400, detail, NO_TARGET)


def not_found(detail: str) -> ScimError:
    return ScimError(404, detail)


def conflict(detail: str) -> ScimError:
    return ScimError(409, detail, UNIQUENESS)


def precondition_failed(detail: str) -> ScimError:
    return ScimError(412, detail)
