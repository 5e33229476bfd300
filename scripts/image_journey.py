"""One request -> approval -> provisioning -> launch through the REST API, for `make image-test`.

Stdlib only (it runs on the host, outside the image). The portal is reached on plain HTTP as the
TLS-terminating proxy would reach it: with the public Host and ``X-Forwarded-Proto: https``.
Tokens and the launch URL are secrets (a presigned URL opens the environment): never printed.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class JourneyFailed(Exception):
    """The portal answered something the journey did not expect."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer to check, not to follow


@dataclass(frozen=True)
class Portal:
    base_url: str  # http://127.0.0.1:PORT
    host: str  # a host of ALLOWED_HOSTS

    def call(self, method: str, path: str, *, token: str,
             body: dict[str, Any] | None = None) -> tuple[int, Any]:
        """(status, decoded JSON body or None) of one API call."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method,
            headers={"Host": self.host, "X-Forwarded-Proto": "https",
                     "Authorization": f"Token {token}", "Accept": "application/json",
                     **({"Content-Type": "application/json"} if data is not None else {})},
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None

    def expect(self, method: str, path: str, *, token: str, statuses: set[int],
               body: dict[str, Any] | None = None) -> Any:
        status, answer = self.call(method, path, token=token, body=body)
        if status not in statuses:
            raise JourneyFailed(f"{method} {path}: {status} (expected {sorted(statuses)}): "
                                f"{json.dumps(answer)[:500]}")
        return answer


def _results(answer: Any) -> list[dict[str, Any]]:
    """A list answer, paginated ({"results": [...]}) or not."""
    return list(answer["results"] if isinstance(answer, dict) else answer)


def _wait_for(what: str, check: Callable[[], Any], *, timeout: float, every: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise JourneyFailed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def journey_run(*, portal: Portal, requester_token: str, approver_token: str,
                project: str, profile_name: str, say: Callable[[str], None],
                timeout: float = 180) -> dict[str, Any]:
    """Request a Studio user profile, approve it, wait until it is available and launch it.

    Returns what was checked (request id, environment id, status, the launch URL's host).
    """
    products = _results(portal.expect("GET", "/api/v1/catalog/products", token=requester_token,
                                      statuses={200}))
    studio = next((p for p in products if p["kind"] == "studio_user_profile"), None)
    if studio is None:
        raise JourneyFailed(f"no Studio product in the catalog: {[p['name'] for p in products]}")

    created = portal.expect("POST", "/api/v1/requests", token=requester_token, statuses={201},
                            body={"project": project, "product": studio["id"],
                                  "parameters": {"UserProfileName": profile_name},
                                  "tag_choices": {"data-classification": "internal"},
                                  "justification": "Image test: one journey through the API."})
    request_id = created["id"]
    say(f"request {request_id} created ({created['status']}), {len(created['tasks'])} task(s)")

    inbox = _results(portal.expect("GET", "/api/v1/inbox", token=approver_token, statuses={200}))
    task = next((t for t in inbox if t["request"]["id"] == request_id), None)
    if task is None:
        raise JourneyFailed(f"request {request_id} is not in the approver's inbox")
    portal.expect("POST", f"/api/v1/tasks/{task['id']}/approve", token=approver_token,
                  statuses={201}, body={"comment": "Approved by the image test."})
    say(f"task {task['id']} approved")

    def environment_of_request() -> dict[str, Any] | None:
        listed = _results(portal.expect("GET", "/api/v1/environments", token=requester_token,
                                        statuses={200}))
        return next((e for e in listed if str(e["request"]) == request_id), None)

    environment = _wait_for("the environment of the request", environment_of_request,
                            timeout=60)
    path = f"/api/v1/environments/{environment['id']}"
    seen: list[str] = []

    def available() -> dict[str, Any] | None:
        current = portal.expect("GET", path, token=requester_token, statuses={200})
        if not seen or seen[-1] != current["status"]:
            seen.append(current["status"])
            say(f"environment {environment['id']}: {current['status']}")
        if current["status"] in {"failed", "terminated"}:
            raise JourneyFailed(f"environment {current['status']}: {current['status_message']}")
        return current if current["status"] == "available" else None

    _wait_for("the environment to be available", available, timeout=timeout, every=2)

    def launched() -> str | None:
        status, answer = portal.call("POST", f"{path}/launch", token=requester_token)
        if status == 200 and answer and answer.get("url"):
            return str(answer["url"])
        if status == 202:
            return None  # the portal is still preparing the session: ask again
        raise JourneyFailed(f"launch: {status}: {json.dumps(answer)[:300]}")

    url = urllib.parse.urlsplit(_wait_for("a launch URL", launched, timeout=60, every=2))
    if url.scheme != "https" or not url.hostname:
        raise JourneyFailed(f"launch URL is not an https URL (scheme {url.scheme!r})")
    say(f"launch answered a URL on {url.hostname} (not printed: it is a secret)")
    return {"request": request_id, "environment": environment["id"], "statuses": seen,
            "launch_host": url.hostname}
