"""The address a request came from, and the keyed hash that bans and rate limits count by."""

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def _address(text: str) -> Address | None:
    """An address as proxies write it: ``203.0.113.5``, ``203.0.113.5:4711``, ``[2001:db8::1]``,
    ``[2001:db8::1]:443`` or ``2001:db8::1``; None for anything else (``unknown``)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_ip(request: HttpRequest) -> str:
    """The address the request came from, looking through the proxies we trust.

    X-Forwarded-For is read from the right: each trusted proxy appended the address it got the
    request from, so the first address from the right that is not a trusted proxy is the
    client's. Anything left of it could have been written by the client and is ignored. Should a
    trusted proxy hand over something that is no address, the request is put down to that proxy.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    hop = _address(remote)
    proxies = _networks(tuple(settings.FORUM_TRUSTED_PROXIES))
    if hop is None or not any(hop in network for network in proxies):
        return str(hop) if hop is not None else remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for text in reversed([a for a in forwarded.split(",") if a.strip()]):
        address = _address(text)
        if address is None:
            break
        hop = address
        if not any(hop in network for network in proxies):
            break
    return str(hop)


def address_key(ip: str) -> str:
    """What bans and rate limits count by: an IPv4 address, or the /64 network of an IPv6 one
    (one subscriber's line; the host half is theirs to change at will)."""
    address = _address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address) if address is not None else ip


def ip_hash(ip: str) -> str:
    """A keyed hash of an address (its /64 for IPv6): stable enough to ban by, useless to anyone
    without the key."""
    return salted_hmac("articles.ip_hash", address_key(ip)).hexdigest()


def request_ip_hash(request: HttpRequest) -> str:
    if not hasattr(request, "_ip_hash"):
        request._ip_hash = ip_hash(client_ip(request))
    return request._ip_hash
