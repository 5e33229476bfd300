from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from portal.middleware import client_ip


@pytest.mark.parametrize(
    ("hops", "forwarded", "remote", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.5", "10.0.0.5"),
        (1, "198.51.100.7, 203.0.113.9", "10.0.0.5", "203.0.113.9"),
        (2, "198.51.100.7, 203.0.113.9", "10.0.0.5", "198.51.100.7"),
        (3, "203.0.113.9", "10.0.0.5", "10.0.0.5"),
        (1, "not-an-address", "10.0.0.5", "10.0.0.5"),
        (0, "", "garbage", None),
    ],
)
def test_it_takes_the_address_our_trusted_proxies_saw(
    settings: Any, hops: int, forwarded: str, remote: str, expected: str | None
) -> None:
    settings.PORTAL_TRUSTED_PROXY_COUNT = hops
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)

    assert client_ip(request) == expected
