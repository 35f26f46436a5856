"""The test suite itself refuses outside requests (see `_no_outside_network`)."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from tests.conftest import OutsideNetworkError


def test_outside_connection_fails_loudly() -> None:
    with pytest.raises(OutsideNetworkError, match="203.0.113.9"):
        socket.create_connection(("203.0.113.9", 80), timeout=1)
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s, \
            pytest.raises(OutsideNetworkError):
        s.connect(("2001:db8::1", 443))
    # the guard's own error, not any OSError: "network unreachable" on a machine
    # without a network would otherwise pass for the guard working
    with pytest.raises(OutsideNetworkError, match="198.51.100.7"):
        urllib.request.urlopen("http://198.51.100.7/", timeout=1)


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
