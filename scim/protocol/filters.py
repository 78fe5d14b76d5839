"""SCIM filter expressions and PATCH paths (RFC 7644 sections 3.4.2.2 and 3.5.2): parsing into a
small, immutable AST, plus evaluation of a filter against one in-memory value (used for value
paths inside a single resource, e.g. `emails[type eq "work"]` in PATCH).

Pure Python: no HTTP, no ORM. `scim.filtering` compiles the same AST into database queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

COMPARE_OPERATORS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")


@dataclass(frozen=True)
class AttrPath:
    """An attribute as written: optional schema URN, attribute name, optional sub-attribute."""

    uri: str | None
    attr: str
    sub: str | None = None

    def __str__(self) -> str:
        base = f"{self.uri}:{self.attr}" if self.uri else self.attr
        return f"{base}.{self.sub}" if self.sub else base


@dataclass(frozen=True)
class Compare:
    path: AttrPath
    op: str  # one of COMPARE_OPERATORS, lower-case
    value: str | int | float | bool | None  # JSON literal: string, number, true/false, null


@dataclass(frozen=True)
class Present:
    path: AttrPath


@dataclass(frozen=True)
class And:
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Or:
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Not:
    expr: Filter


@dataclass(frozen=True)
class ValuePath:
    """`emails[type eq "work"]`: elements of multi-valued `path` matching `filter`, whose paths
    are relative to the element (sub-attributes)."""

    path: AttrPath
    filter: Filter


Filter = Union[Compare, Present, And, Or, Not, ValuePath]


@dataclass(frozen=True)
class PatchPath:
    """A PATCH `path`: `attr`, `attr.sub`, `urn:...:attr`, `attr[filter]`, `attr[filter].sub`."""

    attr: AttrPath  # never has `sub` when value_filter is set; the sub goes in `sub`
    value_filter: Filter | None = None
    sub: str | None = None
