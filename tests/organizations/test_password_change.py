"""Anyone with a login changes their own password from the top bar (org_admin tells new admins to)."""

from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from tests.organizations.conftest import PASSWORD


def test_the_top_bar_links_to_the_password_page(admin_client, org):
    body = admin_client.get(reverse("organizations:members", args=[org.slug])).content.decode()
    assert f'href="{reverse("password_change")}"' in body and "Change password" in body


def test_a_non_staff_admin_changes_their_password_and_stays_logged_in(admin_client, admin_membership):
    user = admin_membership.user
    assert not user.is_staff
    page = admin_client.get(reverse("password_change"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Current password" in body or "Old password" in body
    assert 'class="topbar"' in body  # the site's layout, not Django admin's

    response = admin_client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-secret-42",
            "new_password2": "a-new-long-secret-42",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Your password is changed." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("a-new-long-secret-42")
    assert SESSION_KEY in admin_client.session  # still logged in on this device
    fresh = Client()
    assert fresh.login(username="admin@acme.test", password="a-new-long-secret-42")


def test_a_wrong_current_password_changes_nothing(admin_client, admin_membership):
    response = admin_client.post(
        reverse("password_change"),
        {
            "old_password": "not-it",
            "new_password1": "a-new-long-secret-42",
            "new_password2": "a-new-long-secret-42",
        },
    )
    assert response.status_code == 200
    assert "incorrectly" in response.content.decode()
    admin_membership.user.refresh_from_db()
    assert admin_membership.user.check_password(PASSWORD)


def test_the_password_page_needs_a_login(client, db):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_org_admin_says_where_to_change_the_password(db, capsys):
    from django.core.management import call_command

    call_command("org_admin", "--org", "acme", "--email", "boss@acme.test", "--create-org")
    assert "/password/" in capsys.readouterr().out


def test_guessing_the_current_password_is_limited_like_logins(admin_client, admin_membership, settings):
    # Found by an adversarial run: 30 wrong current passwords, then the right one changed it.
    settings.LOGIN_FAILURE_LIMIT = 3
    form = {"new_password1": "a-new-long-secret-42", "new_password2": "a-new-long-secret-42"}
    for attempt in range(3):
        response = admin_client.post(reverse("password_change"), {"old_password": f"guess-{attempt}", **form})
        assert "incorrectly" in response.content.decode()
    response = admin_client.post(reverse("password_change"), {"old_password": PASSWORD, **form})
    assert response.status_code == 200 and "Too many wrong current passwords" in response.content.decode()
    admin_membership.user.refresh_from_db()
    assert admin_membership.user.check_password(PASSWORD)
    # The same count as the login's: that address can't log in to the account either.
    other_tab = Client()  # the same address, as Django's test client always is
    other_tab.post(reverse("login"), {"username": "admin@acme.test", "password": PASSWORD})
    assert SESSION_KEY not in other_tab.session
