"""Email-and-password login, protected against password guessing.

Failed logins are counted per (client address, email) in the shared cache. Past
LOGIN_FAILURE_LIMIT failures the pair is locked for LOGIN_LOCKOUT_SECONDS: every attempt is
refused, even with the right password, without checking the password, and the answer is the
same "wrong email or password" as any failure (it tells a guesser nothing). A successful login
clears the count. An authentication backend is the seam both login pages go through (the web
login and Django admin's).
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


def login_failures(request, username: str) -> int:
    return cache.get(_key(request, username), 0)


def login_locked(request, username: str) -> bool:
    limit = settings.LOGIN_FAILURE_LIMIT
    return bool(limit) and login_failures(request, username) >= limit


def note_login_failure(request, username: str) -> None:
    key = _key(request, username)
    if not cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)


def clear_login_failures(request, username: str) -> None:
    cache.delete(_key(request, username))


class LoginThrottlingBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field(), None)
        if not username or not isinstance(username, str):
            return super().authenticate(request, username=username, password=password, **kwargs)
        if login_locked(request, username):
            # Stops the authentication chain: no other backend gets to check the password.
            raise PermissionDenied("Too many failed logins; try again later.")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            note_login_failure(request, username)
        else:
            clear_login_failures(request, username)
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD
