from django.urls import reverse

from tests.factories import MembershipFactory, TeamFactory


def test_team_memberships_are_searchable_by_person_and_team(admin_client, db):
    from organizations.models import TeamMembership, User

    User.objects.filter(pk=admin_client.session["_auth_user_id"]).update(is_staff=True, is_superuser=True)
    team = TeamFactory(name="Platform admins")
    member = MembershipFactory(organization=team.organization, user__email="findme@acme.test")
    TeamMembership.objects.create(team=team, membership=member)
    url = reverse("admin:organizations_teammembership_changelist")
    assert "findme@acme.test" in admin_client.get(url, {"q": "findme"}).content.decode()
    assert "findme@acme.test" in admin_client.get(url, {"q": "Platform"}).content.decode()
    assert "findme@acme.test" not in admin_client.get(url, {"q": "nobody"}).content.decode()
