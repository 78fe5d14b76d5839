"""Bearer tokens: generated with 256 bits of randomness and a recognisable prefix, stored only as
a SHA-256 digest. The prefix (`mdscim_`) lets secret scanners find a leaked token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

TOKEN_PREFIX = "mdscim_"
# Characters of the token kept (with the prefix) to recognise it in the UI. Not secret: 4 base64
# characters reveal 24 of the 256 random bits.
VISIBLE_CHARS = 4


@dataclass(frozen=True)
class NewToken:
    raw: str  # shown to the admin once, never stored
    prefix: str
    digest: str


def digest_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def generate_token() -> NewToken:
    secret = secrets.token_urlsafe(32)  # 32 bytes = 256 bits
    raw = f"{TOKEN_PREFIX}{secret}"
    return NewToken(raw=raw, prefix=raw[: len(TOKEN_PREFIX) + VISIBLE_CHARS], digest=digest_token(raw))


def digests_match(expected: str, actual: str) -> bool:
    return hmac.compare_digest(expected.encode(), actual.encode())
