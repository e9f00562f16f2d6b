"""server/proxy.py: X-Forwarded-For believed only from trusted proxies, read from the right."""

from __future__ import annotations

import pytest

from server.proxy import TrustedProxies, client_address, forwarded_proto, parse_address

NGINX = TrustedProxies.parse("127.0.0.1")
CHAIN = TrustedProxies.parse("10.0.0.0/8, 192.168.1.5 ::1")


def test_parse_takes_ips_and_cidrs_separated_by_spaces_or_commas() -> None:
    assert [str(n) for n in CHAIN.networks] == ["10.0.0.0/8", "192.168.1.5/32", "::1/128"]
    assert TrustedProxies.parse("").networks == ()
    assert TrustedProxies.parse("  ").networks == ()


@pytest.mark.parametrize("bad", ["localhost", "10.0.0.0/33", "1.2.3", "127.0.0.1;10.0.0.1"])
def test_a_bad_entry_is_refused_rather_than_ignored(bad: str) -> None:
    with pytest.raises(ValueError, match="trusted proxies"):
        TrustedProxies.parse(f"127.0.0.1 {bad}")


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_address("127.0.0.1", ["203.0.113.9"], TrustedProxies()) == "127.0.0.1"


def test_from_an_untrusted_peer_a_forged_header_is_ignored() -> None:
    assert client_address("198.51.100.7", ["127.0.0.1, 203.0.113.9"], NGINX) == "198.51.100.7"


def test_from_the_proxy_the_right_most_entry_is_the_client() -> None:
    # What nginx sends for a client at 203.0.113.9 that forged "1.1.1.1, 2.2.2.2".
    assert client_address("127.0.0.1", ["1.1.1.1, 2.2.2.2, 203.0.113.9"], NGINX) == "203.0.113.9"
    assert client_address("127.0.0.1", ["203.0.113.9"], NGINX) == "203.0.113.9"


def test_further_trusted_proxies_are_skipped_from_the_right() -> None:
    # client -> 192.168.1.5 (a hall's front proxy) -> 10.1.2.3 (nginx) -> server
    header = ["6.6.6.6, 203.0.113.9, 192.168.1.5"]
    assert client_address("10.1.2.3", header, CHAIN) == "203.0.113.9"


def test_several_headers_read_as_one_list_in_order() -> None:
    assert client_address("127.0.0.1", ["6.6.6.6", "203.0.113.9"], NGINX) == "203.0.113.9"


def test_no_header_or_an_empty_one_from_the_proxy_gives_the_proxy() -> None:
    assert client_address("127.0.0.1", [], NGINX) == "127.0.0.1"
    assert client_address("127.0.0.1", [" , "], NGINX) == "127.0.0.1"


def test_all_hops_trusted_gives_the_left_most() -> None:
    assert client_address("10.1.2.3", ["192.168.1.5, 10.9.9.9"], CHAIN) == "192.168.1.5"


def test_garbage_written_by_a_trusted_hop_stops_the_walk_at_that_hop() -> None:
    assert client_address("10.1.2.3", ["203.0.113.9, unknown, 10.9.9.9"], CHAIN) == "10.9.9.9"
    assert client_address("127.0.0.1", ["not-an-ip"], NGINX) == "127.0.0.1"


def test_ports_brackets_zones_and_mapped_addresses_are_normalised() -> None:
    assert client_address("127.0.0.1", ["203.0.113.9:5555"], NGINX) == "203.0.113.9"
    assert client_address("127.0.0.1", ["[2001:db8::1]:443"], NGINX) == "2001:db8::1"
    assert client_address("127.0.0.1", ["2001:DB8:0::1"], NGINX) == "2001:db8::1"
    # A dual-stack listener reports IPv4 peers as mapped IPv6; still the trusted nginx.
    assert client_address("::ffff:127.0.0.1", ["203.0.113.9"], NGINX) == "203.0.113.9"
    assert client_address("::ffff:198.51.100.7", [], NGINX) == "198.51.100.7"
    assert parse_address("fe80::1%eth0") == parse_address("fe80::1")


def test_no_peer_address_is_unknown() -> None:
    assert client_address(None, ["203.0.113.9"], NGINX) == "unknown"
    assert client_address("", [], NGINX) == "unknown"


def test_forwarded_proto_only_from_a_trusted_peer() -> None:
    assert forwarded_proto("127.0.0.1", ["https"], NGINX) == "https"
    assert forwarded_proto("127.0.0.1", ["HTTP"], NGINX) == "http"
    assert forwarded_proto("198.51.100.7", ["https"], NGINX) is None
    assert forwarded_proto("127.0.0.1", ["gopher"], NGINX) is None
    assert forwarded_proto("127.0.0.1", [], NGINX) is None
