"""The HTTP status a test server answers with, refusals included."""

import urllib.error
import urllib.request


def status_of(request: urllib.request.Request) -> int:
    """The response's status code; an error status (401, 403, ...) is an answer too."""
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
