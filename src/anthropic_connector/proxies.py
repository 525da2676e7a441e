"""Which proxy a request goes through: the environment's HTTP(S)_PROXY, ALL_PROXY and NO_PROXY,
read as httpx2's own client reads them, except that loopback is never proxied.

One reader for both clients (httpx2's pool and the aiohttp transport), so that they agree,
and for the one rule that needs it: a key must not go in clear to a proxy (dispatch.py).
"""

from __future__ import annotations

import functools
import ipaddress

import httpx2
from httpx2._utils import URLPattern, get_environment_proxies  # the rules httpx2's own client applies

# httpx2 mounts that send loopback requests straight to the host, whatever the environment says.
LOOPBACK_MOUNTS: dict[str, None] = {"all://127.0.0.1": None, "all://localhost": None, "all://[::1]": None}


@functools.lru_cache(maxsize=256)
def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def environment() -> list[tuple[URLPattern, str | None]]:
    """(pattern, proxy URL or None for "go direct"), most specific pattern first."""
    return sorted(((URLPattern(key), value) for key, value in get_environment_proxies().items()), key=lambda mount: mount[0])


def proxy_for(url: httpx2.URL, mounts: list[tuple[URLPattern, str | None]] | None = None) -> str | None:
    """The proxy URL ``url`` would go through, or None."""
    mounts = environment() if mounts is None else mounts
    if not mounts or is_loopback(url.host):
        return None
    for pattern, proxy in mounts:
        if pattern.matches(url):
            return proxy
    return None
