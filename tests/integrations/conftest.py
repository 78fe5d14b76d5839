from tests.organizations.conftest import (  # noqa: F401 (fixtures)
    admin_client,
    admin_membership,
    member_client,
    member_membership,
    org,
    other_admin_client,
    other_org,
)
