"""The tag set on every provisioned product, within AWS's tag rules.

Keys are configurable (``PORTAL_TAG_KEYS``). AWS allows at most 50 tags, keys of 1-128 and values of
1-256 characters (Service Catalog refuses empty values), letters, digits, spaces and ``_.:/=+-@``.
Values the portal takes from the directory (names, department …) are made valid: other characters
become ``-`` and long values are cut. What a requester chose (TagOptions) and the configured keys
are refused with a clear error instead, since changing them would change their meaning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings

from provisioning.backends.base import Tag

MAX_TAGS = 50
MAX_KEY = 128
MAX_VALUE = 256
_ALLOWED = re.compile(r"^[\w .:/=+\-@]*$")
_NOT_ALLOWED = re.compile(r"[^\w .:/=+\-@]")
EMPTY_VALUE = "unknown"


class TagSetInvalid(ValueError):
    """The tag set breaks an AWS tag rule; the message says which tag and why."""


def tag_value_clean(value: str) -> str:
    """A directory value made into a valid tag value."""
    cleaned = _NOT_ALLOWED.sub("-", " ".join(str(value).split()))[:MAX_VALUE].strip()
    return cleaned or EMPTY_VALUE


def _check(key: str, value: str, *, origin: str) -> None:
    if not key or len(key) > MAX_KEY:
        raise TagSetInvalid(f"{origin} tag key {key!r} must be 1 to {MAX_KEY} characters long.")
    if key.lower().startswith("aws:"):
        raise TagSetInvalid(f"{origin} tag key {key!r} uses the reserved prefix 'aws:'.")
    if not _ALLOWED.match(key):
        raise TagSetInvalid(f"{origin} tag key {key!r} may only contain letters, digits, spaces "
                            "and _ . : / = + - @")
    if not value or len(value) > MAX_VALUE:
        raise TagSetInvalid(f"{origin} tag {key!r} needs a value of 1 to {MAX_VALUE} characters.")
    if not _ALLOWED.match(value):
        raise TagSetInvalid(f"{origin} tag {key!r} has a value with characters AWS does not allow "
                            "(letters, digits, spaces and _ . : / = + - @ only).")


def chosen_tags(choices: Any) -> list[tuple[str, str]]:
    """TagOption choices as (key, value) pairs, from a mapping or a list of {Key, Value}."""
    if not choices:
        return []
    if isinstance(choices, Mapping):  # a JSON object: no order of its own, so by key
        return sorted((str(k), str(v)) for k, v in choices.items())
    pairs: list[tuple[str, str]] = []
    for item in choices:
        if isinstance(item, Mapping):
            pairs.append((str(item.get("Key", item.get("key", ""))),
                          str(item.get("Value", item.get("value", "")))))
        else:
            key, value = item
            pairs.append((str(key), str(value)))
    return pairs


def tag_set_build(*, portal_values: Mapping[str, str], chosen: Iterable[tuple[str, str]]
                  ) -> list[Tag]:
    """The portal's tags (``portal_values`` keyed by tag name, e.g. "owner") plus chosen ones."""
    keys: Mapping[str, str] = settings.PORTAL_TAG_KEYS
    if "owner" in portal_values and not str(portal_values["owner"]).strip():
        # The owner tag is what IAM matches launches against: never provision without it.
        raise TagSetInvalid("The requester has no owner id (the AWS owner tag); sign in again "
                            "through SSO or ask a platform admin.")
    tags: list[Tag] = []
    for name, value in portal_values.items():
        key = keys[name]
        clean = tag_value_clean(value)
        _check(key, clean, origin="Configured")
        tags.append(Tag(key=key, value=clean))
    taken = {tag.key.lower() for tag in tags}
    for key, value in chosen:
        _check(key, value, origin="Chosen")
        if key.lower() in taken:
            raise TagSetInvalid(f"Chosen tag {key!r} would overwrite a tag the portal sets.")
        taken.add(key.lower())
        tags.append(Tag(key=key, value=value))
    if len(tags) > MAX_TAGS:
        raise TagSetInvalid(f"{len(tags)} tags: AWS allows at most {MAX_TAGS} on a resource.")
    return tags
