"""The SCIM schemas this service implements (RFC 7643 sections 3, 4 and 8.7), as data.

Everything that validates, filters, projects or describes a resource reads these definitions, so
discovery (/Schemas, /ResourceTypes) can never disagree with what the code accepts.
Attribute names are matched case-insensitively everywhere (RFC 7643 section 2.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE_URN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SERVICE_PROVIDER_CONFIG_URN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
LIST_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
BULK_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

# Pre-RFC names some IdPs still send (OneLogin's v2 templates: case B33). Accepted as the RFC URN.
URN_ALIASES = {
    "urn:scim:schemas:core:2.0": None,  # the core schema of whichever resource type it is sent to
    "urn:scim:schemas:core:2.0:user": USER_URN,
    "urn:scim:schemas:core:2.0:group": GROUP_URN,
    "urn:scim:schemas:extension:enterprise:2.0": ENTERPRISE_URN,
    "urn:scim:schemas:extension:enterprise:2.0:user": ENTERPRISE_URN,
    # OneLogin templates pair the 2.0 core schema with the 1.0 enterprise name.
    "urn:scim:schemas:extension:enterprise:1.0": ENTERPRISE_URN,
}
# Vendor URNs that carry no attributes we need; Entra adds this one to every group it creates.
TOLERATED_URNS = {
    "http://schemas.microsoft.com/2006/11/resourcemanagement/adscim/2.0/group",
    "http://schemas.microsoft.com/2006/11/resourcemanagement/adscim/2.0/user",
}
# SCIM 1.1 bodies (OneLogin's "Core Schema v1.1" connector) are refused with a pointed message.
SCIM_1_URNS = {"urn:scim:schemas:core:1.0"}

STRING, BOOLEAN, DECIMAL, INTEGER = "string", "boolean", "decimal", "integer"
DATETIME, REFERENCE, COMPLEX, BINARY = "dateTime", "reference", "complex", "binary"
READ_ONLY, READ_WRITE, IMMUTABLE, WRITE_ONLY = "readOnly", "readWrite", "immutable", "writeOnly"
ALWAYS, NEVER, DEFAULT, REQUEST = "always", "never", "default", "request"


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str = STRING
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = READ_WRITE
    returned: str = DEFAULT
    uniqueness: str = "none"
    description: str = ""
    sub_attributes: tuple[Attribute, ...] = ()
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    _by_lower: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        self._by_lower.update({sub.name.lower(): sub for sub in self.sub_attributes})

    def sub(self, name: str) -> Attribute | None:
        """The sub-attribute called `name`, in any letter case."""
        return self._by_lower.get(name.lower())

    @property
    def is_complex(self) -> bool:
        return self.type == COMPLEX

    def to_scim(self) -> dict:
        doc: dict = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description or self.name,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        }
        if self.canonical_values:
            doc["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            doc["referenceTypes"] = list(self.reference_types)
        if self.sub_attributes:
            doc["subAttributes"] = [sub.to_scim() for sub in self.sub_attributes]
        return doc


@dataclass(frozen=True)
class Schema:
    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]
    _by_lower: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        self._by_lower.update({attr.name.lower(): attr for attr in self.attributes})

    def attribute(self, name: str) -> Attribute | None:
        return self._by_lower.get(name.lower())

    def to_scim(self, location: str = "") -> dict:
        return {
            "schemas": [SCHEMA_URN],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [attr.to_scim() for attr in self.attributes],
            "meta": {"resourceType": "Schema", "location": location},
        }


def _multi(
    name: str,
    *,
    value_type: str = STRING,
    canonical_types: tuple[str, ...] = (),
    extra: tuple[Attribute, ...] = (),
    description: str = "",
    mutability: str = READ_WRITE,
    value_case_exact: bool = False,
    reference_types: tuple[str, ...] = (),
) -> Attribute:
    """The common shape of a multi-valued complex attribute (RFC 7643 section 2.4)."""
    subs = (
        Attribute(
            "value",
            value_type,
            case_exact=value_case_exact,
            mutability=mutability,
            reference_types=reference_types,
        ),
        Attribute("display", mutability=mutability),
        Attribute("type", canonical_values=canonical_types, mutability=mutability),
        Attribute("primary", BOOLEAN, mutability=mutability),
        *extra,
    )
    return Attribute(
        name, COMPLEX, multi_valued=True, sub_attributes=subs, description=description, mutability=mutability
    )


ID = Attribute(
    "id",
    case_exact=True,
    mutability=READ_ONLY,
    returned=ALWAYS,
    uniqueness="server",
    description="Unique identifier assigned by the service provider.",
)
EXTERNAL_ID = Attribute(
    "externalId",
    case_exact=True,
    description="Identifier of the resource as defined by the provisioning client.",
)
META = Attribute(
    "meta",
    COMPLEX,
    mutability=READ_ONLY,
    description="Resource metadata.",
    sub_attributes=(
        Attribute("resourceType", case_exact=True, mutability=READ_ONLY),
        Attribute("created", DATETIME, mutability=READ_ONLY),
        Attribute("lastModified", DATETIME, mutability=READ_ONLY),
        Attribute("location", REFERENCE, case_exact=True, mutability=READ_ONLY, reference_types=("uri",)),
        Attribute("version", case_exact=True, mutability=READ_ONLY),
    ),
)
# id, externalId and meta belong to every resource (RFC 7643 section 3.1); /Schemas lists them
# with the resource's core schema.
COMMON_ATTRIBUTES = (ID, EXTERNAL_ID, META)

USER_SCHEMA = Schema(
    id=USER_URN,
    name="User",
    description="User Account",
    attributes=(
        Attribute(
            "userName",
            required=True,
            uniqueness="server",
            description="Unique identifier for the User, compared case-insensitively.",
        ),
        Attribute(
            "name",
            COMPLEX,
            description="The components of the user's real name.",
            sub_attributes=(
                Attribute("formatted"),
                Attribute("familyName"),
                Attribute("givenName"),
                Attribute("middleName"),
                Attribute("honorificPrefix"),
                Attribute("honorificSuffix"),
            ),
        ),
        Attribute("displayName"),
        Attribute("nickName"),
        Attribute("profileUrl", REFERENCE, reference_types=("external",)),
        Attribute("title"),
        Attribute("userType"),
        Attribute("preferredLanguage"),
        Attribute("locale"),
        Attribute("timezone"),
        Attribute("active", BOOLEAN, description="Whether the user may access the organization."),
        Attribute(
            "password",
            mutability=WRITE_ONLY,
            returned=NEVER,
            description="Accepted for compatibility and never stored or returned.",
        ),
        _multi("emails", canonical_types=("work", "home", "other")),
        _multi("phoneNumbers", canonical_types=("work", "home", "mobile", "fax", "pager", "other")),
        _multi("ims", canonical_types=("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo")),
        _multi(
            "photos",
            value_type=REFERENCE,
            canonical_types=("photo", "thumbnail"),
            value_case_exact=True,
            reference_types=("external",),
        ),
        Attribute(
            "addresses",
            COMPLEX,
            multi_valued=True,
            sub_attributes=(
                Attribute("formatted"),
                Attribute("streetAddress"),
                Attribute("locality"),
                Attribute("region"),
                Attribute("postalCode"),
                Attribute("country"),
                Attribute("type", canonical_values=("work", "home", "other")),
                Attribute("primary", BOOLEAN),
            ),
        ),
        _multi(
            "groups",
            mutability=READ_ONLY,
            value_case_exact=True,
            canonical_types=("direct", "indirect"),
            reference_types=("Group",),
            extra=(
                Attribute(
                    "$ref", REFERENCE, case_exact=True, mutability=READ_ONLY, reference_types=("Group",)
                ),
            ),
        ),
        _multi("entitlements"),
        _multi("roles"),
        _multi("x509Certificates", value_type=BINARY, value_case_exact=True),
    ),
)

ENTERPRISE_USER_SCHEMA = Schema(
    id=ENTERPRISE_URN,
    name="EnterpriseUser",
    description="Enterprise User",
    attributes=(
        Attribute("employeeNumber"),
        Attribute("costCenter"),
        Attribute("organization"),
        Attribute("division"),
        Attribute("department"),
        Attribute(
            "manager",
            COMPLEX,
            sub_attributes=(
                Attribute("value", case_exact=True),
                Attribute("$ref", REFERENCE, case_exact=True, reference_types=("User",)),
                Attribute("displayName", mutability=READ_ONLY),
            ),
        ),
    ),
)

GROUP_SCHEMA = Schema(
    id=GROUP_URN,
    name="Group",
    description="Group",
    attributes=(
        Attribute(
            "displayName",
            required=True,
            uniqueness="server",
            description="A human-readable name for the Group, unique in the organization.",
        ),
        Attribute(
            "members",
            COMPLEX,
            multi_valued=True,
            sub_attributes=(
                Attribute("value", case_exact=True, mutability=IMMUTABLE),
                Attribute(
                    "$ref", REFERENCE, case_exact=True, mutability=IMMUTABLE, reference_types=("User",)
                ),
                Attribute("display"),  # the IdP's label for the member, stored and echoed as sent
                Attribute("type", mutability=IMMUTABLE, canonical_values=("User",)),
            ),
        ),
    ),
)


@dataclass(frozen=True)
class ResourceType:
    id: str
    endpoint: str
    description: str
    schema: Schema
    extensions: tuple[Schema, ...] = ()

    @property
    def schemas(self) -> tuple[Schema, ...]:
        return (self.schema, *self.extensions)

    def extension(self, urn: str) -> Schema | None:
        urn = urn.lower()
        return next((ext for ext in self.extensions if ext.id.lower() == urn), None)

    def to_scim(self, location: str = "") -> dict:
        doc = {
            "schemas": [RESOURCE_TYPE_URN],
            "id": self.id,
            "name": self.id,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema.id,
            "meta": {"resourceType": "ResourceType", "location": location},
        }
        if self.extensions:
            doc["schemaExtensions"] = [{"schema": ext.id, "required": False} for ext in self.extensions]
        return doc


USER = ResourceType("User", "/Users", "User Account", USER_SCHEMA, (ENTERPRISE_USER_SCHEMA,))
GROUP = ResourceType("Group", "/Groups", "Group", GROUP_SCHEMA)
RESOURCE_TYPES = (USER, GROUP)
SCHEMAS = (USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA)


def schema_by_id(urn: str) -> Schema | None:
    urn = urn.lower()
    return next((schema for schema in SCHEMAS if schema.id.lower() == urn), None)


def resource_type_by_id(name: str) -> ResourceType | None:
    name = name.lower()
    return next((rt for rt in RESOURCE_TYPES if rt.id.lower() == name), None)


@dataclass(frozen=True)
class AttributeRef:
    """A resolved attribute path: `schema` + top-level `attribute` (+ `sub_attribute`).

    `uri` is set for attributes of an extension schema, whose values live in the resource under
    the extension's URN (RFC 7643 section 3.3)."""

    attribute: Attribute
    sub_attribute: Attribute | None = None
    uri: str | None = None

    @property
    def leaf(self) -> Attribute:
        return self.sub_attribute or self.attribute

    @property
    def dotted(self) -> str:
        base = self.attribute.name if not self.uri else f"{self.uri}:{self.attribute.name}"
        return f"{base}.{self.sub_attribute.name}" if self.sub_attribute else base


class UnknownAttribute(LookupError):
    """Raised by `resolve_attribute` for a path no schema of the resource type defines."""


def resolve_attribute(resource_type: ResourceType, path: str) -> AttributeRef:
    """Resolve `userName`, `name.givenName`, `emails.value`, `meta.created`,
    `urn:...:enterprise:2.0:User:manager.value` or a core-URN-qualified name, in any letter case.
    """
    uri: str | None = None
    schema = resource_type.schema
    lowered = path.lower()
    if lowered.startswith("urn:") or lowered.startswith("http"):
        for candidate in sorted(resource_type.schemas, key=lambda s: -len(s.id)):
            prefix = candidate.id.lower() + ":"
            if lowered.startswith(prefix):
                schema, path = candidate, path[len(prefix) :]
                uri = candidate.id if candidate is not resource_type.schema else None
                break
        else:
            raise UnknownAttribute(path)
    name, _, sub_name = path.partition(".")
    attribute = schema.attribute(name)
    if attribute is None and uri is None:
        attribute = next((a for a in COMMON_ATTRIBUTES if a.name.lower() == name.lower()), None)
    if attribute is None:
        raise UnknownAttribute(path)
    if not sub_name:
        return AttributeRef(attribute, None, uri)
    sub = attribute.sub(sub_name)
    if sub is None or "." in sub_name:
        raise UnknownAttribute(path)
    return AttributeRef(attribute, sub, uri)
