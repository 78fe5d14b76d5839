"""People in an organization, for the web UI tests (tests/integrations reuses these)."""

import pytest

from tests.factories import AdminMembershipFactory, MembershipFactory, OrganizationFactory

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Acme Corp", slug="acme")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Globex", slug="globex")


@pytest.fixture
def admin_membership(org):
    return AdminMembershipFactory(
        organization=org, user__email="admin@acme.test", user__full_name="Ada Admin"
    )


@pytest.fixture
def member_membership(org):
    return MembershipFactory(organization=org, user__email="member@acme.test", user__full_name="Max Member")


@pytest.fixture
def admin_client(client, admin_membership):
    client.force_login(admin_membership.user)
    return client


@pytest.fixture
def member_client(client, member_membership):
    client.force_login(member_membership.user)
    return client


@pytest.fixture
def other_admin_client(client, other_org):
    client.force_login(AdminMembershipFactory(organization=other_org).user)
    return client
