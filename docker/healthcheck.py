"""Container healthcheck: exit 0 when the URL answers 2xx within the timeout.

The slim Python base has no curl, so every service's healthcheck runs this, every
few seconds in every container: a bare socket and ``python -I -S`` (no site
packages) cost half the CPU of ``urllib.request``, which imports ssl and email.
Usage: python -I -S /usr/local/bin/healthcheck.py http://localhost:4200/api/health
"""

import socket
import sys
from urllib.parse import urlsplit

url = urlsplit(sys.argv[1])
request = f"GET {url.path or '/'} HTTP/1.0\r\nHost: {url.netloc}\r\n\r\n"
try:
    with socket.create_connection((url.hostname, url.port or 80), timeout=5) as conn:
        conn.sendall(request.encode())
        status = conn.makefile("rb").readline().split()  # b"HTTP/1.1 200 OK"
    sys.exit(0 if len(status) > 1 and status[1].startswith(b"2") else 1)
except OSError as error:  # refused, reset or timed out: simply "unhealthy"
    sys.stderr.write(f"{sys.argv[1]}: {error}\n")
    sys.exit(1)
