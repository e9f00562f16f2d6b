"""QR codes, made on the server (``segno``): a kiosk slip's link to the phone follow page,
a booking's code for the kiosk's scanner."""

from __future__ import annotations

import segno


def svg(text: str, *, scale: int = 4, fluid: bool = False) -> str:
    """An inline ``<svg>`` element, dark on white with the quiet zone the standard asks for.

    ``fluid``: a viewBox and no fixed size, for a page that sizes it with CSS."""
    code = segno.make(text, error="m", micro=False)
    out: str = code.svg_inline(scale=scale, border=4, dark="#000", light="#fff", omitsize=fluid)
    return out


def follow_url(base: str, ticket_id: str, token: str) -> str:
    """The phone page that follows a ticket (``/m/ticket/{id}?token=…``)."""
    return f"{base.rstrip('/')}/m/ticket/{ticket_id}?token={token}"
