"""Container healthcheck: exit 0 when the URL answers 2xx within the timeout.

The slim Python base has no curl, so every service's healthcheck runs this.
Usage: python /usr/local/bin/healthcheck.py http://localhost:4200/api/health
"""

import sys
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as response:
        sys.exit(0 if 200 <= response.status < 300 else 1)
except Exception as error:  # any failure is simply "unhealthy"
    sys.stderr.write(f"{sys.argv[1]}: {error}\n")
    sys.exit(1)
