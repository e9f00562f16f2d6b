"""Personal data at rest: AES-GCM sealing and keyed fingerprints, from the server secret.

A citizen's phone number is stored sealed (only the server can read it back, to
send a message) beside a keyed fingerprint (to find it without reading it). Each
sealed value is bound to what it is (``context``, the AES-GCM associated data),
so a sealed phone cannot be passed off as another field.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1"


class SealError(ValueError):
    """A sealed value does not open with this secret (another secret, or edited)."""


class Sealer:
    def __init__(self, secret: bytes) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"onewindow personal data v1"
        ).derive(secret)
        self._aead = AESGCM(key)
        self._fp_key = hmac.new(secret, b"onewindow fingerprint v1", hashlib.sha256).digest()

    def seal(self, text: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, text.encode(), context.encode())
        return f"{_VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str, context: str) -> str:
        version, _, body = sealed.partition(".")
        if version != _VERSION:
            raise SealError(f"unknown sealed format {version!r}")
        try:
            raw = base64.urlsafe_b64decode(body)
            return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except (InvalidTag, ValueError) as exc:
            raise SealError("sealed value does not open with this secret") from exc

    def seal_bytes(self, data: bytes, context: str) -> bytes:
        """Like seal, for a file's bytes: nonce + ciphertext, no text encoding."""
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, data, context.encode())

    def open_bytes(self, sealed: bytes, context: str) -> bytes:
        try:
            return self._aead.decrypt(sealed[:12], sealed[12:], context.encode())
        except (InvalidTag, ValueError) as exc:
            raise SealError("sealed file does not open with this secret") from exc

    def content_key(self, data: bytes) -> str:
        """A file's name: a keyed hash of its content, so equal uploads are kept once but
        nobody without the secret can test whether a known document is among them."""
        return hmac.new(self._fp_key, b"file:" + data, hashlib.sha256).hexdigest()

    def fingerprint(self, kind: str, value: str) -> str:
        """Equal values of one kind give equal fingerprints; nothing else can be read off."""
        return hmac.new(self._fp_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
