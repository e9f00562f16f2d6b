"""Who the client is when reverse proxies stand in front of the server.

``X-Forwarded-For`` is a list that anyone can start: nginx appends the address it
saw (``$proxy_add_x_forwarded_for``) to whatever the client sent. So only the
entries appended by proxies we trust are true. The header is believed only when
the TCP peer is a trusted proxy; it is then read from the right, past further
trusted proxies, and the first address that is not one is the client. From any
other peer the header is ignored: a forged one must not dodge a rate limit or
put someone else's address in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, text: str) -> TrustedProxies:
        """``settings.trusted_proxies``: IPs or CIDRs, separated by spaces or commas.

        Raises ValueError on a bad entry, so a typo stops the server at start-up
        instead of silently trusting no one (or everyone)."""
        networks: list[Network] = []
        for item in text.replace(",", " ").split():
            try:
                networks.append(ip_network(item, strict=False))
            except ValueError:
                raise ValueError(
                    f"trusted proxies: {item!r} is not an IP address or CIDR"
                ) from None
        return cls(tuple(networks))

    def trusts(self, address: str | Address | None) -> bool:
        ip = address if isinstance(address, IPv4Address | IPv6Address) else parse_address(address)
        return ip is not None and any(ip in net for net in self.networks)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: TrustedProxies) -> str:
    """The client's address: the peer's, or from X-Forwarded-For when the peer is trusted.

    ``forwarded_for`` is every X-Forwarded-For header of the request, in order (several
    headers mean the same as one comma-joined list). The answer is a normalised IP
    (``::ffff:1.2.3.4`` is ``1.2.3.4``), so one client is one rate-limit key; or
    "unknown" when there is no peer address at all.
    """
    peer_ip = parse_address(peer)
    if peer_ip is None:
        return peer or UNKNOWN
    if not trusted.trusts(peer_ip):
        return str(peer_ip)
    hops = [h.strip() for value in forwarded_for for h in value.split(",")]
    nearest = peer_ip  # the last address we could vouch for
    for hop in reversed([h for h in hops if h]):
        ip = parse_address(hop)
        if ip is None:
            # A trusted proxy wrote something that is not an address ("unknown", a
            # unix socket): nothing left of it can be believed; the proxy it came
            # through is the best we know.
            return str(nearest)
        if not trusted.trusts(ip):
            return str(ip)
        nearest = ip
    # Every hop was a trusted proxy (a health check from the proxy host itself).
    return str(nearest)


def forwarded_proto(peer: str | None, values: Iterable[str], trusted: TrustedProxies) -> str | None:
    """The scheme the trusted proxy in front saw (``X-Forwarded-Proto``): "https" or
    "http"; None when the peer is not trusted or the header says nothing usable."""
    if not trusted.trusts(peer):
        return None
    last = [v.strip().lower() for value in values for v in value.split(",") if v.strip()]
    # The nearest proxy's word: nginx sets the header rather than appending to it.
    return last[-1] if last and last[-1] in ("http", "https") else None


def parse_address(text: str | None) -> Address | None:
    """An IP from a peer or a header entry: bare, ``[v6]:port``, ``v4:port``; else None."""
    if not text:
        return None
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.partition(":")[0]  # "1.2.3.4:5678": IPv4 with a port
    try:
        ip = ip_address(text.partition("%")[0])  # drop an IPv6 zone ("fe80::1%eth0")
    except ValueError:
        return None
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip
