"""Connections the workers open to addresses typed by an organisation's admin (webhooks, WeCom
robots) or set by the operator (SMTP): resolved and checked when sending, and made to the very
address that was checked.

Checking the URL's text is not enough: 127.1, 0x7f000001, 2130706433, 0177.0.0.1 and 0 all
reach this machine, and a name (localtest.me, a rebinding domain) can resolve to it, or
change between a check and the connect. So `Outbound` resolves the name itself, refuses when
any address is not public (IPv4-mapped, 6to4 and NAT64 forms unwrapped), and connects to
the address it checked; TLS still sends and verifies the name, not the address.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(Exception):
    """The destination is not a public address (or does not resolve); nothing was sent."""


class Unresolvable(OutboundRefused):
    """The name does not resolve (now): refused, but not known to be internal."""


def blocked(address: IPAddress) -> bool:
    """Whether `address`, or the IPv4 address it embeds, is anything but a public unicast one:
    loopback, private, link-local, multicast, reserved, unspecified, shared (CGNAT)..."""
    embedded = _embedded_ipv4(address)
    if embedded is not None and blocked(embedded):
        return True
    return (
        not address.is_global
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, as the C library does (so 127.1 and 0x7f000001 come
    back as 127.0.0.1, exactly what a connect would reach)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def literal_address(host: str) -> IPAddress | None:
    """The address a host written as a number means, in any notation the C library accepts
    (dotted, shortened, hex, octal, one integer, IPv6 with or without brackets)."""
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(bare))
    except (OSError, ValueError):
        return None


def local_name(host: str) -> bool:
    """Names that mean this machine or its network whatever DNS says (RFC 6761 `.localhost`)."""
    name = host.lower().rstrip(".")
    return name in {"localhost", "localhost.localdomain", ""} or name.endswith(
        (".localhost", ".local", ".internal", ".localdomain")
    )


class Outbound:
    """Resolves, checks and connects. `allow_private`: tests and development reach local fake
    servers; production refuses (Settings.allows_private_outbound)."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver = resolve,
        ssl_context: ssl.SSLContext | None = None,  # None: the system's CAs
    ) -> None:
        self.allow_private, self.resolver = allow_private, resolver
        self.ssl_context = ssl_context or _system_context()

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to, all checked; OutboundRefused when any is refused."""
        if not self.allow_private and local_name(host):
            raise OutboundRefused(f"{host!r} names this machine or a local network")
        try:
            found = self.resolver(host.strip("[]"), port)
        except (OSError, UnicodeError, ValueError) as exc:
            raise Unresolvable(f"{host!r} does not resolve: {exc}") from None
        if not found:
            raise Unresolvable(f"{host!r} resolves to nothing")
        if not self.allow_private:
            refused = [a for a in found if blocked(ipaddress.ip_address(a.split("%", 1)[0]))]
            if refused:
                raise OutboundRefused(f"{host!r} resolves to a non-public address {refused[0]}")
        return found

    def connect(self, host: str, port: int, timeout: float | None) -> socket.socket:
        """A TCP connection to one of the checked addresses of `host`."""
        last: OSError | None = None
        for address in self.addresses(host, port):
            try:
                return socket.create_connection((address, port), timeout)
            except OSError as exc:
                last = exc
        raise last or OSError(f"could not connect to {host}")

    def http_client(self, *, timeout: float) -> httpx.Client:
        """An httpx client whose every connection goes through this check. No proxies from
        the environment (a proxy would connect for us, unchecked) and no redirects."""
        return httpx.Client(
            transport=_PinnedTransport(self),
            timeout=timeout,
            trust_env=False,
            follow_redirects=False,
        )


@functools.cache
def _system_context() -> ssl.SSLContext:
    """One verifying context per process: building one loads the CA bundle (~0.1 s)."""
    return httpx.create_ssl_context(trust_env=False)


class _Backend(httpcore.SyncBackend):
    """httpcore's network backend, connecting to the checked address instead of the name;
    httpcore keeps the name for SNI and certificate verification (its origin is unchanged)."""

    def __init__(self, outbound: Outbound) -> None:
        self.outbound = outbound

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        error: Exception | None = None
        for address in self.outbound.addresses(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error or httpcore.ConnectError(f"could not connect to {host}")


class _PinnedTransport(httpx.HTTPTransport):
    """httpx's transport over a pool with our network backend (the only way to give it one).
    HTTPTransport.__init__ is not called: it would build an SSL context (tens of ms, loading
    the CA bundle) for a pool that is replaced at once; the transport only uses `_pool`."""

    def __init__(self, outbound: Outbound) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=outbound.ssl_context, network_backend=_Backend(outbound)
        )
