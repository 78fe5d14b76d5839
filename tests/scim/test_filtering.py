"""Filters and sortBy compiled to SQL (scim.filtering), checked against one fixed organization.

Every case runs the filter through the tenant-scoped queryset the selectors use and compares the
exact set of people (or groups) it returns. The same table runs on SQLite and PostgreSQL
(DATABASE_URL=postgres://...), which is the point: the two must agree row for row.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import transaction

from scim.filtering import group_filter_q, group_sort_expression, user_filter_q, user_sort_expression
from scim.models import ScimGroup, ScimUser
from scim.protocol.errors import INVALID_FILTER, INVALID_VALUE, ScimError
from scim.protocol.filters import parse_filter
from scim.protocol.schemas import ENTERPRISE_URN
from tests.factories import OrganizationFactory, make_integration, make_scim_group, make_scim_user

ENT = ENTERPRISE_URN


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# key -> (userName, keyword arguments for make_scim_user, created)
PEOPLE = {
    "alice": (
        "alice@example.com",
        dict(
            display_name="Alice Anderson",
            external_id="ext-A1",
            attributes={
                "name": {"givenName": "Alice", "familyName": "Anderson", "formatted": "Alice Anderson"},
                "title": "Engineer",
                "userType": "Employee",
                "locale": "en-US",
                "nickName": "Al",
                "emails": [
                    {"value": "alice@example.com", "type": "work", "primary": True},
                    {"value": "alice@home.test", "type": "home"},
                ],
                "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
                ENT: {
                    "employeeNumber": "1001",
                    "department": "R&D",
                    "costCenter": "CC-1",
                    "manager": {"value": "mgr-1", "displayName": "Dana Boss"},
                },
            },
        ),
        "2024-01-15T10:00:00",
    ),
    "bob": (
        "Bob.Builder",
        dict(
            display_name="Bob Builder",
            external_id="EXT-B2",
            active=False,
            attributes={
                "name": {"givenName": "Bob", "familyName": "Builder"},
                "title": "engineer",
                "emails": [{"value": "BOB@EXAMPLE.COM", "type": "work"}],
                "addresses": [
                    {
                        "type": "work",
                        "locality": "Berlin",
                        "country": "DE",
                        "primary": True,
                        "formatted": "Hauptstr. 1, Berlin",
                    }
                ],
                ENT: {"department": "Sales", "employeeNumber": "1002"},
            },
        ),
        "2024-06-01T00:00:00",
    ),
    "carol": (
        "carol@example.org",
        dict(
            display_name='Carol "CJ" Jones',
            attributes={
                "name": {"givenName": "Carol", "familyName": "Jones"},
                "title": "VP (Sales) and [Ops]",
                "emails": [{"value": "carol@example.org", "type": "other", "display": "Carol at work"}],
                "roles": [{"value": "admin"}],
                "entitlements": [{"value": "ent-1", "type": "license"}],
                ENT: {"department": "Sales"},  # manager.value set to alice's id once she has one
            },
        ),
        "2023-12-31T23:59:59",
    ),
    "dave": (
        "dave_100%@example.com",
        dict(
            display_name="Dave",
            attributes={
                "title": "",
                "name": {},
                "emails": [{"value": "dave@x.test", "type": "work", "primary": False}],
                "ims": [{"value": "dave-skype", "type": "skype"}],
            },
        ),
        "2025-01-01T00:00:00",
    ),
    "eve": (
        "eve.unicode@example.com",
        dict(display_name="Ève Ünicode", attributes={"nickName": "ÈVE", "title": "Ingénieure"}),
        "2024-02-01T00:00:00",
    ),
    "frank": (
        "frank@example.com",
        dict(
            display_name="Frank",
            external_id="ext-a1",
            attributes={
                "title": "Engineer II",
                "photos": [{"value": "https://img.test/Frank.png", "type": "photo"}],
                ENT: {"manager": {"value": "MGR-1"}, "employeeNumber": "42"},
            },
        ),
        "2024-03-01T00:00:00",
    ),
    "grace": (
        "grace@example.com",
        dict(
            display_name="Grace Hopper",
            attributes={
                "name": {"givenName": "Grace", "middleName": "M"},
                "nickName": "gracie",
                "timezone": "Europe/Paris",
                "emails": [
                    {"value": "grace@example.com", "type": "work"},
                    {"value": "grace.h@example.com", "type": "work", "primary": True},
                ],
            },
        ),
        "2024-04-01T00:00:00",
    ),
    "heidi": ("heidi", dict(), "2024-05-01T00:00:00"),
    "ivan": (
        "ivan@example.com",
        dict(
            external_id="123",
            attributes={
                "title": "Engineer II",
                "emails": [
                    {"value": "ivan@example.com", "type": "work", "primary": True},
                    {"value": "ivan@example.com.evil", "type": "home"},
                ],
                "x509Certificates": [{"value": "MIIBase64"}],
            },
        ),
        "2024-07-01T00:00:00",
    ),
    "judy": (
        "Judy",
        dict(
            active=False,
            attributes={
                "title": None,
                "emails": [{"type": "work"}],
                "phoneNumbers": [{"value": "+1 555 0199", "type": "mobile"}],
            },
        ),
        "2024-08-01T00:00:00",
    ),
}
EVERYONE = frozenset(PEOPLE)
GROUPS = {
    "eng": ("Engineering", ("alice", "bob", "ivan", "zed"), "grp-eng"),
    "sales": ("Sales", ("bob", "carol"), None),
    "empty": ("Empty", (), None),
    "rd": ("R&D [core]", ("alice",), "GRP-rd"),
}
ALL_GROUPS = frozenset(GROUPS)
ERROR = "invalidFilter"


class World:
    def __init__(self):
        integration, _ = make_integration(OrganizationFactory())
        self.organization = integration.organization
        self.users: dict[str, ScimUser] = {}
        for key, (user_name, kwargs, created) in PEOPLE.items():
            user = make_scim_user(integration, user_name, **kwargs)
            modified = "2024-03-01T00:00:00" if key == "alice" else created
            ScimUser.objects.filter(pk=user.pk).update(created=_at(created), last_modified=_at(modified))
            self.users[key] = user
        carol = self.users["carol"]
        carol.attributes[ENT]["manager"] = {"value": self.users["alice"].scim_id}
        carol.save(update_fields=["attributes"])
        # Soft-deleted: matches nearly everything, must never come back.
        zed = make_scim_user(
            integration,
            "zed@example.com",
            display_name="Zed",
            attributes={"title": "Engineer", "emails": [{"value": "zed@example.com", "type": "work"}]},
        )
        ScimUser.objects.filter(pk=zed.pk).update(deleted_at=_at("2024-09-01T00:00:00"))
        self.users["zed"] = zed
        self.groups: dict[str, ScimGroup] = {}
        for key, (name, members, external_id) in GROUPS.items():
            self.groups[key] = make_scim_group(
                integration, name, members=[self.users[m] for m in members], external_id=external_id
            )
        # Another tenant with look-alike data: never visible from this one.
        other, _ = make_integration(OrganizationFactory())
        clone = make_scim_user(
            other,
            "alice@example.com",
            display_name="Alice Anderson",
            external_id="ext-A1",
            attributes=PEOPLE["alice"][1]["attributes"],
        )
        make_scim_group(other, "Engineering", members=[clone], external_id="grp-eng")

    def substitute(self, text: str) -> str:
        for key, user in self.users.items():
            text = text.replace(f"<{key}>", user.scim_id)
        for key, group in self.groups.items():
            text = text.replace(f"<g:{key}>", group.scim_id)
        return text

    def users_matching(self, text: str) -> set[str]:
        names = {user.user_name: key for key, user in self.users.items()}
        queryset = ScimUser.objects.filter(organization=self.organization, deleted_at__isnull=True)
        rows = queryset.filter(user_filter_q(parse_filter(self.substitute(text))))
        return {names[name] for name in rows.values_list("user_name", flat=True)}

    def groups_matching(self, text: str) -> set[str]:
        names = {group.display_name: key for key, group in self.groups.items()}
        queryset = ScimGroup.objects.filter(organization=self.organization)
        rows = queryset.filter(group_filter_q(parse_filter(self.substitute(text))))
        return {names[name] for name in rows.values_list("display_name", flat=True)}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at the end; each test
    runs in a savepoint inside it."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            yield World()
            transaction.set_rollback(True)


def but(*keys: str) -> frozenset:
    return EVERYONE - set(keys)


# (filter, expected user keys or ERROR)
USER_CASES = [
    # userName: caseExact=false
    ('userName eq "alice@example.com"', {"alice"}),
    ('userName eq "ALICE@EXAMPLE.COM"', {"alice"}),
    ('USERNAME EQ "alice@example.com"', {"alice"}),
    ('userName Eq "heidi"', {"heidi"}),
    ('userName eq "nobody"', set()),
    ('userName ne "alice@example.com"', but("alice")),
    ('userName co "example"', {"alice", "carol", "dave", "eve", "frank", "grace", "ivan"}),
    ('userName co "EXAMPLE.COM"', {"alice", "dave", "eve", "frank", "grace", "ivan"}),
    ('userName sw "b"', {"bob"}),
    ('userName sw "BOB."', {"bob"}),
    ('userName ew ".org"', {"carol"}),
    ('userName ew "@EXAMPLE.COM"', {"alice", "dave", "eve", "frank", "grace", "ivan"}),
    ('userName ew "a-very-long-suffix-longer-than-any-username@example.com"', set()),
    ('userName co ""', EVERYONE),
    # LIKE wildcards are plain characters
    ('userName co "%"', {"dave"}),
    ('userName co "_"', {"dave"}),
    ('userName co "_100%"', {"dave"}),
    ('userName sw "%"', set()),
    ('userName ew "%"', set()),
    ('userName co "a%e"', set()),
    ('userName co "\\\\"', set()),
    # ordering: lower-cased, code-point order
    ('userName gt "i"', {"ivan", "judy"}),
    ('userName ge "judy"', {"judy"}),
    ('userName lt "c"', {"alice", "bob"}),
    ('userName le "bob.builder"', {"alice", "bob"}),
    ('userName gt "Heidi"', {"ivan", "judy"}),
    ("userName pr", EVERYONE),
    ("not (userName pr)", set()),
    ("userName eq null", set()),
    ("userName ne null", EVERYONE),
    ('userName eq "alice@example.com" or userName eq "Judy"', {"alice", "judy"}),
    ("userName eq 123", set()),
    ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "heidi"', {"heidi"}),
    ('URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:USERNAME eq "heidi"', {"heidi"}),
    ('urn:scim:schemas:core:2.0:user:userName eq "heidi"', {"heidi"}),
    # displayName
    ('displayName eq "alice anderson"', {"alice"}),
    ('displayName eq "Carol \\"CJ\\" Jones"', {"carol"}),
    ('displayName co "\\"CJ\\""', {"carol"}),
    ('displayName eq "Ève Ünicode"', {"eve"}),
    ('displayName eq "\\u00c8ve \\u00dcnicode"', {"eve"}),
    ('displayName co "Ünic"', {"eve"}),
    ('displayName sw "\\u00c8"', {"eve"}),
    ("displayName pr", {"alice", "bob", "carol", "dave", "eve", "frank", "grace"}),
    ("not (displayName pr)", {"heidi", "ivan", "judy"}),
    ('displayName eq ""', {"heidi", "ivan", "judy"}),
    ('displayName ew "ER"', {"bob", "grace"}),
    # externalId: caseExact=true
    ('externalId eq "ext-A1"', {"alice"}),
    ('externalId eq "ext-a1"', {"frank"}),
    ('externalId eq "EXT-A1"', set()),
    ('externalId sw "ext-"', {"alice", "frank"}),
    ('externalId sw "EXT"', {"bob"}),
    ('externalId co "A"', {"alice"}),
    ('externalId ew "1"', {"alice", "frank"}),
    ("externalId pr", {"alice", "bob", "frank", "ivan"}),
    ('externalId ne "ext-A1"', but("alice")),
    ('not (externalId eq "ext-A1")', but("alice")),
    ("externalId eq 123", {"ivan"}),
    ("externalId eq null", {"carol", "dave", "eve", "grace", "heidi", "judy"}),
    ('externalId gt "a"', {"alice", "frank"}),
    ('externalId lt "Z"', {"bob", "ivan"}),
    # active: booleans, also as strings (OneLogin)
    ("active eq true", but("bob", "judy")),
    ("active eq false", {"bob", "judy"}),
    ('active eq "False"', {"bob", "judy"}),
    ("active eq TRUE", but("bob", "judy")),
    ("active ne true", {"bob", "judy"}),
    ("active pr", EVERYONE),
    ("active gt true", ERROR),
    ('active eq "yes"', ERROR),
    ('active co "t"', ERROR),
    ("active eq 1", ERROR),
    # id: a string; a malformed id matches nothing
    ('id eq "<alice>"', {"alice"}),
    ('id eq "not-a-uuid"', set()),
    ('id ne "<alice>"', but("alice")),
    ('id eq "<alice>" or id eq "<bob>"', {"alice", "bob"}),
    ('id eq "<zed>"', set()),
    ("id pr", EVERYONE),
    # meta: dateTime columns and the constant resourceType
    ('meta.created gt "2024-06-01T00:00:00Z"', {"dave", "ivan", "judy"}),
    ('meta.created ge "2024-06-01T00:00:00Z"', {"bob", "dave", "ivan", "judy"}),
    ('meta.created lt "2024-01-01T00:00:00+00:00"', {"carol"}),
    ('meta.created lt "2024-01-01T01:00:00+01:00"', {"carol"}),
    ('meta.created eq "2024-06-01T00:00:00Z"', {"bob"}),
    ('meta.created eq "2024-06-01T02:00:00+02:00"', {"bob"}),
    ('meta.created ne "2024-06-01T00:00:00Z"', but("bob")),
    ('meta.created gt "2024-01-15"', but("carol")),
    ('meta.created le "2023-12-31T23:59:59.000Z"', {"carol"}),
    ('meta.created gt "yesterday"', ERROR),
    ("meta.created gt 5", ERROR),
    ('meta.created co "2024"', ERROR),
    ('meta.lastModified ge "2024-03-01T00:00:00Z"', but("carol", "eve")),
    ("meta.created pr", EVERYONE),
    ("meta.created eq null", set()),
    ('meta.resourceType eq "User"', EVERYONE),
    ('meta.resourceType eq "Group"', set()),
    ('not (meta.resourceType eq "Group")', EVERYONE),
    ('meta.resourceType ne "User"', set()),
    ('meta.resourceType eq "user"', set()),
    ("meta pr", EVERYONE),
    ("meta.location pr", ERROR),
    ('meta.version eq "W/\\"1\\""', ERROR),
    ('urn:ietf:params:scim:schemas:core:2.0:User:meta.created lt "2024-01-01T00:00:00Z"', {"carol"}),
    # attributes in the JSON document
    ('name.givenName eq "alice"', {"alice"}),
    ('name.givenName sw "B"', {"bob"}),
    ("name.givenName pr", {"alice", "bob", "carol", "grace"}),
    ("not (name.givenName pr)", {"dave", "eve", "frank", "heidi", "ivan", "judy"}),
    ("name.givenName eq null", {"dave", "eve", "frank", "heidi", "ivan", "judy"}),
    ('name.familyName ne "Anderson"', but("alice")),
    ("name pr", {"alice", "bob", "carol", "grace"}),
    ('name.middleName eq "m"', {"grace"}),
    ('NAME.GIVENNAME eq "grace"', {"grace"}),
    ('name.formatted co "ander"', {"alice"}),
    ('name[givenName eq "Grace"]', {"grace"}),
    ('name[givenName eq "Grace" or familyName eq "Jones"]', {"grace", "carol"}),
    ('title eq "engineer"', {"alice", "bob"}),
    ('title ne "engineer"', but("alice", "bob")),
    ('title sw "engineer"', {"alice", "bob", "frank", "ivan"}),
    ("title pr", {"alice", "bob", "carol", "eve", "frank", "ivan"}),
    ('title eq ""', {"dave"}),
    ("title eq null", {"dave", "grace", "heidi", "judy"}),
    ('title co "(Sales) and [Ops]"', {"carol"}),
    ('title eq "VP (Sales) and [Ops]"', {"carol"}),
    ('title co ")"', {"carol"}),
    ('title co "]"', {"carol"}),
    ('title co " and "', {"carol"}),
    ('title co " or not ("', set()),
    ('title eq "Ingénieure"', {"eve"}),
    ('title gt "f"', {"carol", "eve"}),
    ('nickName eq "ÈVE"', {"eve"}),
    ('nickName eq "AL"', {"alice"}),
    ('userType eq "employee"', {"alice"}),
    ('locale eq "en-US"', {"alice"}),
    ('timezone sw "Europe/"', {"grace"}),
    ("profileUrl pr", set()),
    # the enterprise extension, qualified and (Entra's legacy manager check) unqualified
    (f'{ENT}:department eq "sales"', {"bob", "carol"}),
    (f'{ENT}:employeeNumber eq "1001"', {"alice"}),
    (f"{ENT}:employeeNumber eq 42", {"frank"}),
    (f'{ENT}:manager.value eq "mgr-1"', {"alice"}),
    (f'{ENT}:manager.value eq "MGR-1"', {"frank"}),
    (f"{ENT}:manager pr", {"alice", "carol", "frank"}),
    (f'{ENT}:manager.displayName co "boss"', {"alice"}),
    (f'{ENT}:department ne "Sales"', but("bob", "carol")),
    (f"{ENT}:costCenter pr", {"alice"}),
    (f"{ENT}:manager.$ref pr", set()),
    (f'{ENT.lower()}:DEPARTMENT eq "R&D"', {"alice"}),
    ('manager eq "<alice>"', {"carol"}),
    ('id eq "<carol>" and manager eq "<alice>"', {"carol"}),
    ('manager.value eq "mgr-1"', {"alice"}),
    ('department eq "R&D"', {"alice"}),
    (f'{ENT}:userName eq "alice@example.com"', ERROR),
    # emails and the other multi-valued attributes (ScimUserValue rows)
    ('emails eq "alice@example.com"', {"alice"}),
    ('emails eq "bob@example.com"', {"bob"}),
    ('emails.value eq "ALICE@HOME.TEST"', {"alice"}),
    ('emails co "example.com"', {"alice", "bob", "grace", "ivan"}),
    ('emails.value ew ".test"', {"alice", "dave"}),
    ('emails.type eq "home"', {"alice", "ivan"}),
    ('emails[type eq "work" and value co "@example.com"]', {"alice", "bob", "grace", "ivan"}),
    ('emails[type eq "home" and value ew ".evil"]', {"ivan"}),
    ('emails[type eq "work" and value ew ".evil"]', set()),
    ('emails.type eq "work" and emails.value ew ".evil"', {"ivan"}),
    ('emails[type eq "work"].value eq "ivan@example.com"', {"ivan"}),
    ('emails[type eq "work"].value eq "ivan@example.com.evil"', set()),
    ('emails[type eq "work"].value pr', {"alice", "bob", "dave", "grace", "ivan"}),
    ("emails[primary eq true]", {"alice", "grace", "ivan"}),
    ('emails[primary eq "true"]', {"alice", "grace", "ivan"}),
    ('emails[primary eq true].value eq "grace.h@example.com"', {"grace"}),
    ('emails[primary eq true].value eq "grace@example.com"', set()),
    ("emails.primary eq false", {"alice", "bob", "carol", "dave", "grace", "ivan", "judy"}),
    ("emails pr", {"alice", "bob", "carol", "dave", "grace", "ivan", "judy"}),
    ("not (emails pr)", {"eve", "frank", "heidi"}),
    ("emails eq null", {"eve", "frank", "heidi"}),
    ("emails.value pr", {"alice", "bob", "carol", "dave", "grace", "ivan"}),
    ("emails[not (value pr)]", {"judy"}),
    ('emails ne "alice@example.com"', but("alice")),
    ('emails[type ne "work"]', {"alice", "carol", "ivan"}),
    ('emails.display co "at work"', {"carol"}),
    ('emails[value sw "carol" or type eq "home"]', {"alice", "carol", "ivan"}),
    ('emails[type eq "work"] and active eq false', {"bob", "judy"}),
    ('emails[TYPE EQ "WORK"]', {"alice", "bob", "dave", "grace", "ivan", "judy"}),
    ('emails co "%"', set()),
    ('emails[foo eq "x"]', ERROR),
    ('emails.foo eq "x"', ERROR),
    ('emails[value.x eq "1"]', ERROR),
    ('emails[type eq "work"].nope eq "x"', ERROR),
    ("emails.primary gt true", ERROR),
    ('phoneNumbers eq "+1 555 0100"', {"alice"}),
    ('phoneNumbers[type eq "mobile"]', {"judy"}),
    ('addresses[locality eq "berlin"]', {"bob"}),
    ('addresses.country eq "DE"', {"bob"}),
    ('addresses.formatted co "Hauptstr."', {"bob"}),
    ("addresses.primary eq true", {"bob"}),
    ('addresses eq "Berlin"', ERROR),
    ('roles eq "admin"', {"carol"}),
    ('entitlements[type eq "license" and value eq "ent-1"]', {"carol"}),
    ('ims.value eq "dave-skype"', {"dave"}),
    ('photos.value eq "https://img.test/Frank.png"', {"frank"}),
    ('photos.value eq "https://img.test/frank.png"', set()),
    ('x509Certificates.value eq "MIIBase64"', {"ivan"}),
    ("x509Certificates pr", {"ivan"}),
    # groups: read-only, from team memberships
    ('groups eq "<g:eng>"', {"alice", "bob", "ivan"}),
    ('groups.value eq "<g:sales>"', {"bob", "carol"}),
    ('groups.display eq "engineering"', {"alice", "bob", "ivan"}),
    ('groups[display sw "R&D"]', {"alice"}),
    ("groups pr", {"alice", "bob", "carol", "ivan"}),
    ("not (groups pr)", {"dave", "eve", "frank", "grace", "heidi", "judy"}),
    ('groups.type eq "direct"', {"alice", "bob", "carol", "ivan"}),
    ('groups ne "<g:eng>"', but("alice", "bob", "ivan")),
    ('groups[value eq "<g:eng>"] and groups[value eq "<g:sales>"]', {"bob"}),
    ("groups.$ref pr", ERROR),
    # logic and precedence: not > and > or
    ('userName eq "heidi" or userName eq "Judy" and active eq true', {"heidi"}),
    ('(userName eq "heidi" or userName eq "Judy") and active eq true', {"heidi"}),
    ('userName eq "Judy" and active eq false or userName eq "heidi"', {"judy", "heidi"}),
    ('not (active eq true) and not (userName eq "Judy")', {"bob"}),
    ('not (not (userName eq "heidi"))', {"heidi"}),
    ('not (userName eq "heidi" or active eq false)', but("heidi", "bob", "judy")),
    ("title pr and not (externalId pr)", {"carol", "eve"}),
    ('userName eq "heidi" AND (active eq true OR active eq false)', {"heidi"}),
    ('(((userName eq "heidi")))', {"heidi"}),
    ('not(userName sw "a")and(userName sw "b"or userName sw "c")', {"bob", "carol"}),
    (" or ".join(f'userName eq "{name}"' for name, _, _ in PEOPLE.values()), EVERYONE),
    (" and ".join(["userName pr"] * 200), EVERYONE),
    # refused: 400 invalidFilter
    ("userName", ERROR),
    ("userName eq", ERROR),
    ('userName xx "a"', ERROR),
    ('password eq "secret"', ERROR),
    ("password pr", ERROR),
    ('nosuch eq "x"', ERROR),
    ('name eq "x"', ERROR),
    ('name.nosuch eq "x"', ERROR),
    ('userName eq "a" and', ERROR),
    ('(userName eq "a"', ERROR),
    ('userName eq "a")', ERROR),
    ("title gt null", ERROR),
    ("title eq true", ERROR),
    ("userName eq 'single'", ERROR),
    ('urn:ietf:params:scim:schemas:extension:nope:2.0:User:x eq "a"', ERROR),
    ('members eq "x"', ERROR),
    ('emails[type eq "work"', ERROR),
    ("name.givenName[x pr]", ERROR),
    ('emails[type eq "work"][value pr]', ERROR),
    ('emails[type eq "work" and phoneNumbers[type pr]]', ERROR),
    ("", ERROR),
    ('userName eq "\\u0000"', ERROR),
    ("displayName gt true", ERROR),
    ('title[value eq "x"]', ERROR),
    ('name.givenName.x eq "a"', ERROR),
]

GROUP_CASES = [
    ('displayName eq "engineering"', {"eng"}),
    ('displayName eq "R&D [core]"', {"rd"}),
    ('displayName co "["', {"rd"}),
    ('displayName sw "e"', {"eng", "empty"}),
    ('externalId eq "grp-eng"', {"eng"}),
    ('externalId eq "GRP-ENG"', set()),
    ('members eq "<alice>"', {"eng", "rd"}),
    ('members.value eq "<bob>"', {"eng", "sales"}),
    ('members[value eq "<carol>"]', {"sales"}),
    ('members eq "<zed>"', set()),
    ("members pr", {"eng", "sales", "rd"}),
    ("not (members pr)", {"empty"}),
    ('members.display co "builder"', {"eng", "sales"}),
    ('members.type eq "User"', {"eng", "sales", "rd"}),
    ('id eq "<g:eng>"', {"eng"}),
    ('id eq "<g:eng>" and members eq "<alice>"', {"eng"}),
    ('id eq "<g:sales>" and members eq "<alice>"', set()),
    ('meta.resourceType eq "Group"', ALL_GROUPS),
    ('meta.resourceType eq "User"', set()),
    ('displayName ne "Empty"', ALL_GROUPS - {"empty"}),
    ('members ne "<alice>"', {"sales", "empty"}),
    ('members[value eq "<alice>" or value eq "<carol>"]', {"eng", "sales", "rd"}),
    ("meta.created pr", ALL_GROUPS),
    ('userName eq "x"', ERROR),
    ("members.$ref pr", ERROR),
    ('emails eq "x"', ERROR),
    ('members[nope eq "x"]', ERROR),
]


def _case_id(text: str) -> str:
    return text if len(text) <= 70 else text[:67] + "..."


@pytest.mark.parametrize(("text", "expected"), USER_CASES, ids=[_case_id(t) for t, _ in USER_CASES])
def test_user_filter(world, db, text, expected):
    if expected == ERROR:
        with pytest.raises(ScimError) as caught:
            world.users_matching(text)
        assert (caught.value.status, caught.value.scim_type) == (400, INVALID_FILTER)
    else:
        assert world.users_matching(text) == set(expected)


@pytest.mark.parametrize(("text", "expected"), GROUP_CASES, ids=[_case_id(t) for t, _ in GROUP_CASES])
def test_group_filter(world, db, text, expected):
    if expected == ERROR:
        with pytest.raises(ScimError) as caught:
            world.groups_matching(text)
        assert (caught.value.status, caught.value.scim_type) == (400, INVALID_FILTER)
    else:
        assert world.groups_matching(text) == set(expected)


def test_the_table_is_large_enough():
    assert len(USER_CASES) + len(GROUP_CASES) >= 150


def test_unknown_attribute_error_names_it(world, db):
    with pytest.raises(ScimError, match='Unknown attribute "favouriteColour"'):
        world.users_matching('favouriteColour eq "blue"')


def test_password_error_says_why(world, db):
    with pytest.raises(ScimError, match="never returned"):
        world.users_matching('password eq "hunter2"')


def test_filtered_list_is_one_query(world, db, django_assert_num_queries):
    text = world.substitute(
        'emails[type eq "work" and value co "@example.com"] and not (groups eq "<g:sales>")'
        ' or name.givenName sw "g" or meta.created gt "2024-07-01T00:00:00Z"'
    )
    queryset = ScimUser.objects.filter(organization=world.organization, deleted_at__isnull=True)
    with django_assert_num_queries(1):
        names = set(queryset.filter(user_filter_q(parse_filter(text))).values_list("user_name", flat=True))
    assert names == {
        "alice@example.com",
        "dave_100%@example.com",
        "grace@example.com",
        "ivan@example.com",
        "Judy",
    }


def test_group_membership_filter_is_one_query(world, db, django_assert_num_queries):
    text = world.substitute('id eq "<g:eng>" and members eq "<alice>"')
    with django_assert_num_queries(1):
        found = list(
            ScimGroup.objects.filter(organization=world.organization).filter(
                group_filter_q(parse_filter(text))
            )
        )
    assert found == [world.groups["eng"]]


# --- sortBy ----------------------------------------------------------------------------------


def _sorted_users(world, path: str, descending: bool = False) -> list[str]:
    expression = user_sort_expression(path)
    order = expression.desc() if descending else expression.asc()
    names = {user.user_name: key for key, user in world.users.items()}
    queryset = ScimUser.objects.filter(organization=world.organization, deleted_at__isnull=True)
    return [names[n] for n in queryset.order_by(order, "pk").values_list("user_name", flat=True)]


def test_sort_by_username_ignores_case(world, db):
    assert _sorted_users(world, "userName") == list(PEOPLE)


def test_sort_by_username_descending(world, db):
    assert _sorted_users(world, "userName", descending=True) == list(reversed(PEOPLE))


def test_sort_by_multi_valued_attribute_uses_the_primary_value_and_puts_missing_last(world, db):
    assert _sorted_users(world, "emails") == [
        "alice",
        "bob",
        "carol",
        "dave",
        "grace",
        "ivan",
        "eve",
        "frank",
        "heidi",
        "judy",
    ]


def test_sort_descending_puts_missing_values_first(world, db):
    assert _sorted_users(world, "emails.value", descending=True) == [
        "eve",
        "frank",
        "heidi",
        "judy",
        "ivan",
        "grace",
        "dave",
        "carol",
        "bob",
        "alice",
    ]


def test_sort_by_json_attribute(world, db):
    assert _sorted_users(world, "name.givenName")[:4] == ["alice", "bob", "carol", "grace"]


def test_sort_by_enterprise_attribute(world, db):
    assert _sorted_users(world, f"{ENT}:employeeNumber")[:3] == ["alice", "bob", "frank"]


def test_sort_by_created(world, db):
    assert _sorted_users(world, "meta.created")[:3] == ["carol", "alice", "eve"]


def test_sort_by_groups_display(world, db):
    assert _sorted_users(world, "groups.display")[:4] == ["alice", "bob", "ivan", "carol"]


@pytest.mark.parametrize(
    ("path", "example"), [("name", "name.formatted"), ("addresses", "addresses.formatted")]
)
def test_sorting_by_a_complex_attribute_without_a_value_says_which_to_use(path, example):
    with pytest.raises(ScimError) as caught:
        user_sort_expression(path)
    assert caught.value.detail == (
        f'sortBy: "{path}" is complex and has no value of its own: use one of its sub-attributes, '
        f"such as {example}"
    )


def test_sorted_list_is_one_query(world, db, django_assert_num_queries):
    queryset = ScimUser.objects.filter(organization=world.organization, deleted_at__isnull=True)
    with django_assert_num_queries(1):
        list(queryset.order_by(user_sort_expression("emails.value").asc()))


def test_sort_groups_by_display_name(world, db):
    order = group_sort_expression("displayName").asc()
    names = list(
        ScimGroup.objects.filter(organization=world.organization)
        .order_by(order)
        .values_list("display_name", flat=True)
    )
    assert names == ["Empty", "Engineering", "R&D [core]", "Sales"]


def test_sort_groups_by_members_puts_empty_groups_last(world, db):
    order = group_sort_expression("members.value").asc()
    names = list(
        ScimGroup.objects.filter(organization=world.organization)
        .order_by(order)
        .values_list("display_name", flat=True)
    )
    assert names[-1] == "Empty"


@pytest.mark.parametrize("path", ["nosuch", "password", 'emails[type eq "work"]', "name", "", "addresses"])
def test_unusable_sort_by_is_invalid_value(path):
    with pytest.raises(ScimError) as caught:
        user_sort_expression(path)
    assert (caught.value.status, caught.value.scim_type) == (400, INVALID_VALUE)


@pytest.mark.parametrize(
    "path, filter_text, expected",
    [
        ("/Users", 'meta.resourceType eq "User"', 2),
        ("/Users", 'meta.resourceType ne "User"', 0),
        ("/Users", 'meta.resourceType eq "Group"', 0),
        ("/Users", 'userName eq "ada@example.test" and meta.resourceType eq "User"', 1),
        ("/Groups", 'meta.resourceType eq "Group"', 1),
        ("/Groups", 'members[type eq "User"]', 1),
        ("/Users", 'groups[type eq "direct"]', 2),
    ],
)
def test_comparisons_with_constant_attributes_answer_the_same_on_every_page_shape(
    scim, path, filter_text, expected
):
    # Regression: the compiled-statement cache once kept the answer for the first value it saw.
    users = [scim.create_user(name)["id"] for name in ("ada@example.test", "grace@example.test")]
    scim.post(
        "/Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "everyone",
            "members": [{"value": uid} for uid in users],
        },
    )
    for query in ("", "&count=0", "&sortBy=id", "&count=5", "&cursor="):
        response = scim.get(f"{path}?filter={filter_text}{query}")
        assert response.status_code == 200, response.content
        assert response.doc["totalResults"] == expected, (filter_text, query)


def test_literals_python_holds_equal_are_distinct_filters_across_organizations(scim, other_scim):
    # Regression: compiled statements were cached by filter shape, and true == 1 == 1.0 in Python,
    # so one organization's `eq 1` decided another's `eq true` (adversarial run).
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    for client in (scim, other_scim):
        for number in ("1", "1.0"):
            client.create_user(f"emp{number}@example.test", **{enterprise: {"employeeNumber": number}})
        client.create_user("pic@example.test", photos=[{"value": "https://x.test/p.png", "primary": True}])
    for _ in range(3):
        assert other_scim.get(f"/Users?filter={enterprise}:employeeNumber eq 1").status_code == 200
        assert other_scim.get("/Users?filter=photos.primary eq 1").status_code == 400
    one = scim.get(f"/Users?filter={enterprise}:employeeNumber eq 1").doc
    one_point_zero = scim.get(f"/Users?filter={enterprise}:employeeNumber eq 1.0").doc
    assert [r["userName"] for r in one["Resources"]] == ["emp1@example.test"]
    assert [r["userName"] for r in one_point_zero["Resources"]] == ["emp1.0@example.test"]
    primary = scim.get("/Users?filter=photos.primary eq true")
    assert primary.status_code == 200 and primary.doc["totalResults"] == 1
