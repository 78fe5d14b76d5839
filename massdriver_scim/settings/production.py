"""Production: HTTPS everywhere. Behind a TLS-terminating proxy, set SECURE_PROXY_SSL_HEADER via
TRUST_X_FORWARDED_PROTO=1 so Django knows the original request was HTTPS."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # required: no default in production
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# SCIM clients are never redirected (a redirected POST loses its body, and the token would already
# have crossed in clear): the SCIM API refuses plain HTTP with a SCIM error instead
# (scim.middleware.ScimSafetyNetMiddleware).
SECURE_REDIRECT_EXEMPT = [r"^scim/"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Off only for a local trial over plain http (README: "Try the production setup locally").
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
