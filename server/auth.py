"""Staff authentication: scrypt password hashes and signed bearer tokens.

Tokens are ``<payload>.<signature>`` with an HMAC-SHA256 signature over a small
JSON payload (user, role, hall, department, session, expiry): any server process
holding the secret can check the signature without a database read. Each token
names its sign-in session, so it can also be revoked (``usecases/sessions.py``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .domain.errors import Unauthorized
from .domain.model import Role

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${key.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(got.hex(), key)


@dataclass(frozen=True, slots=True)
class Claims:
    user_id: str
    username: str
    role: Role
    hall_id: str | None
    expires: int
    session_id: str = ""
    department_id: str | None = None
    must_change_password: bool = False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PayloadSigner:
    """``<base64url JSON>.<base64url HMAC-SHA256>``: any process holding the key can
    check a token without a database read. Staff and citizens' tokens each have a key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def sign(self, body: Mapping[str, Any]) -> str:
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def open(self, token: str) -> dict[str, Any] | None:
        """The body, or None when the signature or the encoding is wrong."""
        payload, _, sig = token.partition(".")
        if not sig or not hmac.compare_digest(sig, self._sign(payload)):
            return None
        try:
            body = json.loads(_unb64(payload))
        except ValueError:
            return None
        return body if isinstance(body, dict) else None


class TokenSigner:
    def __init__(self, secret: str) -> None:
        self._signer = PayloadSigner(hashlib.sha256(b"onewindow-token:" + secret.encode()).digest())

    def issue(self, claims: Claims) -> str:
        body = {
            "u": claims.user_id,
            "n": claims.username,
            "r": claims.role.value,
            "h": claims.hall_id,
            "e": claims.expires,
            "s": claims.session_id,
            "d": claims.department_id,
            "c": int(claims.must_change_password),
        }
        return self._signer.sign(body)

    def verify(self, token: str, now: int) -> Claims:
        body = self._signer.open(token)
        if body is None:
            raise _bad_token()
        try:
            claims = Claims(
                body["u"], body["n"], Role(body["r"]), body["h"], int(body["e"]),
                str(body["s"]), body["d"], bool(body["c"]),
            )  # fmt: skip
        except (ValueError, KeyError, TypeError) as exc:
            raise _bad_token() from exc
        if claims.expires <= now:
            raise Unauthorized(
                "token_expired", "sign-in expired; sign in again", "登录已过期，请重新登录"
            )
        return claims


def _bad_token() -> Unauthorized:
    return Unauthorized("token_invalid", "invalid sign-in token", "登录凭证无效，请重新登录")
