"""POSTing JSON to a model endpoint with the standard library: a timeout on every attempt,
retries with exponential backoff on 429 and 5xx (honouring Retry-After, bounded), and every
failure turned into one `LLMError` line naming the endpoint. The only urllib user.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from ..errors import LLMError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

BACKOFF = 0.5        # seconds before the first retry, doubled each time
MAX_WAIT = 20.0      # the longest wait between attempts, whatever Retry-After asks
RETRIED = frozenset({429, 500, 502, 503, 504, 529})


def post_json(url: str, body: dict[str, Any], headers: dict[str, str], *, timeout: float,
              retries: int = 3) -> dict[str, Any]:
    """The JSON object the endpoint answers; retried on 429/5xx, never past `timeout` overall."""
    data = json.dumps(body).encode("utf-8")
    deadline = time.monotonic() + timeout
    for attempt in range(retries + 1):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"content-type": "application/json", **headers})
        try:
            with urllib.request.urlopen(request, timeout=left) as response:  # noqa: S310
                return _decoded(url, response.read())
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRIED or attempt == retries:
                raise LLMError(f"{url}: HTTP {exc.code} {_detail(exc)}".rstrip()) from exc
            wait = min(_retry_after(exc) or BACKOFF * 2 ** attempt, MAX_WAIT)
            if time.monotonic() + wait >= deadline:
                raise LLMError(f"{url}: HTTP {exc.code}, and no time left to retry within "
                               f"{timeout:g}s") from exc
            time.sleep(wait)
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError) or isinstance(exc, TimeoutError):
                raise LLMError(f"{url}: no answer within {timeout:g}s") from exc
            raise LLMError(f"{url}: cannot connect: {reason}") from exc
    raise LLMError(f"{url}: no answer within {timeout:g}s")


def _decoded(url: str, raw: bytes) -> dict[str, Any]:
    try:
        found = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise LLMError(f"{url}: the answer is not JSON: {raw[:80]!r}") from exc
    if not isinstance(found, dict):
        raise LLMError(f"{url}: the answer is not a JSON object")
    return found


def _retry_after(exc: urllib.error.HTTPError) -> float | None:
    value = exc.headers.get("retry-after") if exc.headers else None
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff decides


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read(300).decode("utf-8", "replace")
    except OSError:
        return ""
    return " ".join(text.split())[:160]
