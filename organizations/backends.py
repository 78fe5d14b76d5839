"""Email-and-password login, protected against password guessing.

Login attempts are counted per (client address, email) in the shared cache, each one before its
password is checked: guesses sent in parallel each take a place in the count, so no more than
LOGIN_FAILURE_LIMIT passwords are ever checked per lockout period (counting failures after the
check let every guess in flight through). Past the limit the pair is locked for
LOGIN_LOCKOUT_SECONDS: every attempt is refused, even with the right password, without checking
the password, and the answer is the same "wrong email or password" as any failure (it tells a
guesser nothing). A successful login clears the count. An authentication backend is the seam
both login pages go through (the web login and Django admin's); the password change form checks
the current password through the same count.
"""

from __future__ import annotations

import hashlib
import unicodedata

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied


def _account(username: str) -> str:
    """Who a login attempt is against: the account the email finds (so every spelling that
    reaches one account shares one count), else the email as typed, folded."""
    from .lookups import equals_ignoring_case
    from .models import User

    pk = (
        User.objects.filter(equals_ignoring_case("email", username.strip()))
        .values_list("pk", flat=True)
        .first()
    )
    return (
        f"account:{pk}"
        if pk is not None
        else f"email:{unicodedata.normalize('NFKC', username.strip()).casefold()}"
    )


def _key(request, username: str) -> str:
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    who = hashlib.sha256(f"{address}|{_account(username)}".encode()).hexdigest()
    return f"login-failures:{who}"


def reserve_login_attempt(request, username: str) -> bool:
    """Count an attempt at `username`'s password, before checking it. False when the attempt is
    over the limit: its password must not be checked."""
    limit = settings.LOGIN_FAILURE_LIMIT
    if not limit:
        return True
    key = _key(request, username)
    cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
    try:
        attempts = cache.incr(key)  # atomic in Redis and in the local-memory cache
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        attempts = 1
    return attempts <= limit


def clear_login_failures(request, username: str) -> None:
    cache.delete(_key(request, username))


class LoginThrottlingBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field(), None)
        if not username or not isinstance(username, str):
            return super().authenticate(request, username=username, password=password, **kwargs)
        if not reserve_login_attempt(request, username):
            # Stops the authentication chain: no other backend gets to check the password.
            raise PermissionDenied("Too many failed logins; try again later.")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            clear_login_failures(request, username)
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD
