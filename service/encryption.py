"""Authenticated encryption for secrets stored in the database (a provider's API key).

Fernet (AES-128-CBC with HMAC-SHA256) under keys derived from MOMENTCAST_SECRET_KEY and the
previous keys: the newest key encrypts, every key decrypts, and `rotate` re-encrypts a value
under the newest, so rotating the secret key never makes a stored secret unreadable. Each
purpose gets its own derived key, so a value encrypted for one purpose never opens as another.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class DecryptionError(ValueError):
    """A stored value no current or previous secret key opens (or one that was altered)."""


def _derive(secret: str, purpose: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"momentcast", info=purpose.encode()
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class SecretBox:
    """Encrypts and decrypts one purpose's secrets. `secret_keys` oldest first, as
    `Settings.secret_keys` gives them; the last one encrypts."""

    def __init__(self, secret_keys: Sequence[str], *, purpose: str) -> None:
        if not secret_keys:
            raise ValueError("SecretBox needs at least one secret key")
        self._fernet = MultiFernet([_derive(key, purpose) for key in reversed(secret_keys)])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise DecryptionError("the stored secret cannot be decrypted") from None

    def rotate(self, token: str) -> str:
        """`token` re-encrypted under the newest key (a no-op in meaning, not in bytes)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise DecryptionError("the stored secret cannot be decrypted") from None


def key_hint(api_key: str) -> str:
    """What may be shown of an API key: its prefix up to the first dash and its last four
    characters (`sk-…abcd`); nothing at all of a short key."""
    key = api_key.strip()
    if len(key) < 12:
        return "…"
    prefix = key.split("-", 1)[0] + "-" if "-" in key[:8] else ""
    return f"{prefix}…{key[-4:]}"
