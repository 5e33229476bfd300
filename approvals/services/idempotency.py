"""Idempotency keys of request creation: the same key from the same requester, the same request.

Follows the IETF draft "The Idempotency-Key HTTP Header Field"
(draft-ietf-httpapi-idempotency-key-header) and Stripe's API, which the draft cites:

- the key is chosen by the client (a UUID is recommended) and is at most 255 characters here
  (Stripe's limit); the draft's examples send it as a structured-field string in double quotes
  (``Idempotency-Key: "8e03978e-…"``), Stripe's clients send it bare: both are accepted;
- a retry with the same key and the same payload gets the result of the first request;
- the same key with another payload is refused with 422 ("Idempotency-Key is already used");
- the draft's security section asks for a composite lookup key, "the idempotency key sent by the
  client with other client specific attributes known only to the resource server": here the key
  is scoped to the requester, so another user's key never finds someone else's request;
- the draft lets the server publish an expiry policy: these keys never expire (they are kept on
  the request they made, and random keys do not collide).

The payload is compared through a fingerprint, an HMAC (keyed by SECRET_KEY) of what was
submitted: the values may hold NoEcho secrets, which are never stored in clear.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from django.utils.crypto import salted_hmac

from approvals.errors import ApprovalError, RequestInvalid
from approvals.models import Request
from portal.models import User

IDEMPOTENCY_KEY_MAX = 255
# Visible US-ASCII only (VCHAR, as the draft's sf-string allows), so a key is never a header
# injection or an invisible near-duplicate of another.
_KEY = re.compile(r"[\x21-\x7e]+")
KEY_INVALID = (f"The Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} visible ASCII "
               "characters (a UUID is a good key).")


class IdempotencyKeyReused(ApprovalError):
    """The key already made a request with another payload: nothing was created."""

    status_code = 422

    def __init__(self, *, existing: Request) -> None:
        super().__init__(
            "This Idempotency-Key was already used for a different request "
            f"({existing.reference}). Send the same request again to get it back, or use a new "
            "key for a new request.")
        self.existing = existing


def idempotency_key_clean(raw: str | None) -> str:
    """The key a client sent, without the optional double quotes; "" when none was sent.

    A key that is present but malformed raises ``RequestInvalid`` (400), as the draft asks
    servers to validate keys against their published format before using them.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    if len(text) > IDEMPOTENCY_KEY_MAX or not _KEY.fullmatch(text):
        raise RequestInvalid({"idempotency_key": [KEY_INVALID]})
    return text


def request_fingerprint(**submitted: Any) -> str:
    """An HMAC of what was submitted, stable across key order and value types."""
    canonical = json.dumps(submitted, sort_keys=True, default=str, separators=(",", ":"))
    return salted_hmac("approvals.request.idempotency", canonical, algorithm="sha256").hexdigest()


def request_for_key(*, requester: User, idempotency_key: str,
                    fingerprint: str) -> Request | None:
    """The request this requester already made with this key (None: none yet).

    The same key with another fingerprint raises ``IdempotencyKeyReused``.
    """
    existing = Request.objects.filter(requester=requester, idempotency_key=idempotency_key).first()
    if existing is None:
        return None
    if existing.idempotency_fingerprint != fingerprint:
        raise IdempotencyKeyReused(existing=existing)
    return existing


def fingerprint_fields(*, project_slug: str, product_id: int | str, version_id: int | None,
                       action: str, environment_ref: str | None, parameters: Mapping[str, Any],
                       tag_choices: Mapping[str, Any] | None, justification: str,
                       lease_days: Any = None) -> dict[str, Any]:
    """What the fingerprint covers: everything the requester chose (the lease only when one
    was sent, so fingerprints from before leases still match their replays)."""
    fields = {
        "project": project_slug, "product": str(product_id), "version": version_id,
        "action": action, "environment_ref": (environment_ref or "").strip() or None,
        "parameters": dict(parameters) if isinstance(parameters, Mapping) else parameters,
        "tag_choices": dict(tag_choices or {}), "justification": (justification or "").strip(),
    }
    if lease_days is not None and str(lease_days).strip():
        fields["lease_days"] = str(lease_days).strip()
    return fields
