"""How a SCIM user's document maps onto rows: the derived ScimUserValue rows that make
multi-valued attributes filterable by an indexed query."""

from __future__ import annotations

from collections.abc import Iterable

from .models import ScimUser, ScimUserValue
from .protocol.schemas import USER_SCHEMA
from .statements import Insert

# Multi-valued complex attributes stored in the document and mirrored into ScimUserValue rows
# (`groups` is derived from team memberships and never stored).
MULTI_VALUED_USER_ATTRIBUTES = tuple(
    attr.name for attr in USER_SCHEMA.attributes if attr.multi_valued and attr.name != "groups"
)


# Attributes whose `value` stays in the JSON of its row, out of the indexed `value` column: a
# certificate (base64 DER) or a photo's URL can be longer than an index entry holds (some 2,700
# bytes in PostgreSQL), and no IdP looks a person up by them. Filters read them from the JSON.
JSON_ONLY_VALUES = frozenset({"photos", "x509Certificates"})


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def user_value_rows(user: ScimUser, attributes: dict, names: Iterable[str] = MULTI_VALUED_USER_ATTRIBUTES):
    """Unsaved ScimUserValue rows for the multi-valued attributes `names` of `attributes`."""
    rows = []
    for name in names:
        for position, element in enumerate(attributes.get(name) or ()):
            if not isinstance(element, dict):
                continue
            rows.append(
                ScimUserValue(
                    user=user,
                    attribute=name,
                    position=position,
                    value=None if name in JSON_ONLY_VALUES else _text(element.get("value")),
                    type=_text(element.get("type")),
                    primary=element.get("primary") is True,
                    display=_text(element.get("display")),
                    data=element,
                )
            )
    return rows


_insert_values = Insert(ScimUserValue)


def changed_multi_valued(before: dict, after: dict) -> list[str]:
    return [name for name in MULTI_VALUED_USER_ATTRIBUTES if before.get(name) != after.get(name)]


def write_user_values(
    user: ScimUser, attributes: dict, names: Iterable[str] | None = None, *, fresh: bool = False
) -> None:
    """Rewrite the rows of the attributes `names` (all of them when None). A new user (`fresh`)
    has no rows to delete."""
    names = tuple(MULTI_VALUED_USER_ATTRIBUTES if names is None else names)
    if not names:
        return
    if not fresh:
        ScimUserValue.objects.filter(user=user, attribute__in=names).delete()
    _insert_values.rows(user_value_rows(user, attributes, names))
