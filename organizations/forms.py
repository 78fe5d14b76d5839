"""Forms of the organization pages that Django's own need a guard added to."""

from __future__ import annotations

from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError

from .backends import clear_login_failures, reserve_login_attempt


class GuardedPasswordChangeForm(PasswordChangeForm):
    """Django's password change, its current-password check counted with login attempts: a
    session left open in someone's browser must not be a way to guess the password (and then
    change it) without the login's limit."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        if not reserve_login_attempt(self.request, self.user.email):
            raise ValidationError(
                "Too many wrong current passwords: try again later.", code="password_attempts"
            )
        old_password = super().clean_old_password()
        clear_login_failures(self.request, self.user.email)
        return old_password
