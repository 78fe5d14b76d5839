"""Factories for every model the tests build. One place, so a model change is fixed once."""

import factory
from django.utils.text import slugify

from integrations.models import Integration
from integrations.services import integration_create
from organizations.models import Membership, Organization, Role, Team, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class AdminMembershipFactory(MembershipFactory):
    role = Role.ADMIN


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


def make_integration(organization=None, **kwargs) -> tuple[Integration, str]:
    """An integration with its raw token (the only moment the token exists in clear)."""
    organization = organization or OrganizationFactory()
    return integration_create(organization=organization, **kwargs)


def make_scim_user(
    integration: Integration,
    user_name: str,
    *,
    active: bool = True,
    external_id=None,
    display_name: str = "",
    attributes: dict | None = None,
    email: str | None = None,
):
    """A SCIM-managed person stored the way the SCIM service stores one: a login, a membership,
    the SCIM resource and its multi-valued attribute rows. For tests that need data in place
    without going through HTTP."""
    from scim.models import ScimUser
    from scim.storage import write_user_values

    organization = integration.organization
    user = User.objects.create_user(email or None, full_name=display_name[:255])  # as the service keeps it
    membership = Membership.objects.create(organization=organization, user=user, is_active=active)
    scim_user = ScimUser.objects.create(
        organization=organization,
        integration=integration,
        membership=membership,
        user_name=user_name,
        external_id=external_id,
        display_name=display_name,
        active=active,
        attributes=attributes or {},
    )
    write_user_values(scim_user, scim_user.attributes, fresh=True)
    return scim_user


def make_scim_group(integration: Integration, display_name: str, *, members=(), external_id=None):
    from organizations.models import TeamMembership
    from scim.models import ScimGroup

    organization = integration.organization
    team = Team.objects.create(organization=organization, name=display_name)
    group = ScimGroup.objects.create(
        organization=organization,
        integration=integration,
        team=team,
        display_name=display_name,
        external_id=external_id,
    )
    TeamMembership.objects.bulk_create(TeamMembership(team=team, membership=u.membership) for u in members)
    return group


def bulk_scim_users(integration: Integration, count: int, *, prefix: str = "bulk"):
    """`count` SCIM users in a handful of queries, for tests about size (10,000-member groups)."""
    from scim.models import ScimUser

    organization = integration.organization
    users = User.objects.bulk_create(
        User(email=f"{prefix}{i}@example.test", full_name=f"{prefix} {i}") for i in range(count)
    )
    memberships = Membership.objects.bulk_create(Membership(organization=organization, user=u) for u in users)
    return ScimUser.objects.bulk_create(
        ScimUser(
            organization=organization,
            integration=integration,
            membership=m,
            user_name=f"{prefix}{i}@example.test",
        )
        for i, m in enumerate(memberships)
    )
