"""People, organizations and who belongs where.

A person has one login (User, by email) and a Membership in each organization they belong to.
Access to an organization is decided by the Membership alone, so deactivating someone in one
organization never touches their access to another.
"""

from __future__ import annotations

import secrets

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        # Log-in by email is case-insensitive, exactly as the uniqueness rule compares.
        from .lookups import equals_ignoring_case

        return self.get(equals_ignoring_case("email", email))

    def build_user(self, email, password=None, **extra):
        """An unsaved login: email normalised, the password hashed, or unusable when none."""
        user = self.model(email=self.normalize_email(email) if email else None, **extra)
        if password:
            user.set_password(password)
        else:
            # What set_unusable_password() stores (the unusable prefix and a random suffix, so no
            # two are alike), from one call to the OS's random source instead of 40 calls of
            # secrets.choice: IdPs create people by the thousand.
            user.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)
        return user

    def create_user(self, email, password=None, **extra):
        user = self.build_user(email, password, **extra)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A login. Email is the login name, unique regardless of letter case.

    A person provisioned by an IdP with no usable email gets an account with no email: it exists
    for membership bookkeeping and cannot log in with a password.
    """

    email = models.EmailField(max_length=254, unique=True, null=True, blank=True)
    full_name = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email or self.full_name or f"user {self.pk}"

    def get_full_name(self) -> str:
        return self.full_name or (self.email or "")

    def get_short_name(self) -> str:
        return self.get_full_name()


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    ADMIN = "admin", "Admin"


class Membership(models.Model):
    """A person's place in one organization: their own role, and whether they may enter it.

    `is_active` False means access to this organization has ended (deactivated by the IdP or
    an admin); the row and everything hanging off it are kept so reactivation restores them.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_org_user_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization}"


class Team(models.Model):
    """A group of an organization's members. A team may grant a role in the organization, so an
    IdP group mapped to "admin" makes its members admins for as long as they are in it."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    # As long as a SCIM group's displayName: a pushed group's name is kept whole.
    name = models.CharField(max_length=512)
    granted_role = models.CharField(max_length=20, choices=Role.choices, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    members = models.ManyToManyField(Membership, through="TeamMembership", related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="team_memberships")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="team_memberships")
    # The member's label as the IdP sent it (SCIM `members.display`), echoed back as sent.
    display = models.CharField(max_length=512, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "membership"], name="team_membership_unique"),
        ]
        indexes = [models.Index(fields=["membership", "team"], name="team_membership_by_member")]

    def __str__(self) -> str:
        return f"{self.membership} in {self.team}"
