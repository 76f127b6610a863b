"""Password hashes: scrypt (stdlib) with a per-user random salt, compared in constant time.

Format: ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`` so the cost can be raised later while
old hashes still verify. ``atelier deploy`` imports ``hash_password`` from here to create the
API user.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1  # ~16 MiB and tens of ms per hash: cheap for a login, costly for a guess
SALT_BYTES = 16
KEY_BYTES = 32
MAX_N, MAX_R, MAX_P = 2**20, 32, 16


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=KEY_BYTES,
        maxmem=128 * n * r * p + 2**20,
    )


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The stored form of ``password`` (a new random salt unless one is given)."""
    if not password:
        raise ValueError("a password cannot be empty")
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = _derive(password, salt, N, R, P)
    return f"{SCHEME}${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches ``encoded``; False for a mismatch or a malformed hash."""
    try:
        scheme, n_s, r_s, p_s, salt_s, digest_s = encoded.split("$")
        n, r, p = int(n_s), int(r_s), int(p_s)
        salt = base64.b64decode(salt_s, validate=True)
        expected = base64.b64decode(digest_s, validate=True)
    except (ValueError, TypeError):
        return False
    if scheme != SCHEME or not (1 < n <= MAX_N and n & (n - 1) == 0 and 0 < r <= MAX_R):
        return False
    if not (0 < p <= MAX_P) or len(expected) != KEY_BYTES:
        return False
    actual = _derive(password, salt, n, r, p)
    return hmac.compare_digest(actual, expected)


@cache
def dummy_hash() -> str:
    """A valid hash of a random password: verified against when the user does not exist, so
    an unknown user costs the same time as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))
