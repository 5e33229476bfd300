"""NoEcho parameter values sealed at rest: encrypted in the JSON columns, opened only for AWS.

A sealed value is ``SEALED_PREFIX`` + a Fernet token. Fernet (from ``cryptography``) is
authenticated encryption: AES-128-CBC with an HMAC-SHA256 over the whole token, so a token made
with another key, or altered, fails to open (``InvalidToken``) instead of yielding garbage.
``PORTAL_PARAMETER_KEY`` holds one or more Fernet keys (comma-separated): the first seals, all
open, so a key can be rotated without losing older values.

Opening never falls back to the sealed text: a value that cannot be opened raises
``ParameterSealBroken`` (logged as an error), so ciphertext is never sent to AWS as a value.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from portal.logs import secret_register

logger = logging.getLogger(__name__)

SEALED_PREFIX = "sealed:v1:"


class ParameterSealBroken(RuntimeError):
    """A stored NoEcho value could not be opened (wrong or missing PORTAL_PARAMETER_KEY)."""


def key_derived(*, secret: str) -> str:
    """A Fernet key derived from a secret (DEBUG only: the demo and a developer's machine)."""
    digest = hashlib.sha256(b"portal-parameter-key:" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def keys_parse(raw: str) -> list[str]:
    """The comma-separated keys of PORTAL_PARAMETER_KEY, each checked to be a Fernet key."""
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:  # not 32 url-safe base64-encoded bytes
            raise ImproperlyConfigured(
                "PORTAL_PARAMETER_KEY must be Fernet keys (32 url-safe base64 bytes, e.g. from "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`), comma-separated") from exc
    return keys


def _fernet() -> MultiFernet:
    keys: list[str] = list(getattr(settings, "PORTAL_PARAMETER_KEYS", []) or [])
    if not keys:
        raise ImproperlyConfigured("PORTAL_PARAMETER_KEY must be set when DEBUG is off")
    return MultiFernet([Fernet(k) for k in keys])


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


def value_seal(value: Any, *, key: str) -> str:
    """The value sealed, bound to its parameter key (so it cannot be moved to another one).

    Always seals, even text that looks sealed: a value a person typed is never taken as a token.
    """
    text = "" if value is None else str(value)
    secret_register(text)  # the clear value passes through this request: keep it off its logs
    plain = json.dumps([key, text], separators=(",", ":"))
    return SEALED_PREFIX + _fernet().encrypt(plain.encode()).decode()


def value_open(value: Any, *, key: str) -> str:
    """The clear value of a value sealed for ``key``; anything else raises (loudly)."""
    try:
        if not is_sealed(value):
            raise InvalidToken
        sealed_key, text = json.loads(
            _fernet().decrypt(str(value)[len(SEALED_PREFIX):].encode()).decode())
        if sealed_key != key:
            raise InvalidToken
        secret_register(str(text))  # on its way to AWS: keep it off this task's logs
        return str(text)
    except InvalidToken:
        # Loud: the key changed or the column was altered; the caller must not go on to AWS.
        logger.error("The stored value of NoEcho parameter %s could not be opened: "
                     "PORTAL_PARAMETER_KEY does not hold the key it was sealed with, or the "
                     "stored value was altered.", key)
        raise ParameterSealBroken(
            f"The stored value of NoEcho parameter {key} could not be decrypted: "
            "PORTAL_PARAMETER_KEY does not hold the key it was sealed with, or the stored value "
            "was altered.") from None


def parameters_seal(*, values: Mapping[str, Any], secret_keys: Iterable[str]
                    ) -> dict[str, Any]:
    """``values`` with those of ``secret_keys`` (the NoEcho parameters) sealed."""
    secret = set(secret_keys)
    return {k: (value_seal(v, key=k) if k in secret else v) for k, v in values.items()}


def parameters_open(*, values: Mapping[str, Any], secret_keys: Iterable[str]
                    ) -> dict[str, Any]:
    """``values`` with the NoEcho ones opened: only for the call that sends them to AWS.

    Only ``secret_keys`` are opened (each must be sealed for its own key, or this raises), so a
    sealed-looking text typed into another parameter is sent as typed, never decrypted.
    """
    secret = set(secret_keys)
    return {k: (value_open(v, key=str(k)) if k in secret and v not in (None, "") else v)
            for k, v in values.items()}


def rows_parameters_seal(*, model: Any, spec_model: Any, seal: bool) -> int:
    """Seal (or, ``seal=False``, open) the NoEcho values in ``model.parameters``, in place.

    For the data migrations of the models holding parameters (historical models passed in):
    ``model`` has ``version`` and ``parameters``; ``spec_model`` is the catalog's ParameterSpec.
    Returns how many rows changed.
    """
    changed = 0
    for row in model.objects.exclude(parameters={}).iterator():
        secret = set(spec_model.objects.filter(version_id=row.version_id, no_echo=True)
                     .values_list("key", flat=True))
        values = dict(row.parameters or {})
        if seal:  # values sealed already (a second run) are left as they are
            new = parameters_seal(values=values,
                                  secret_keys={k for k in secret if not is_sealed(values.get(k))})
        else:
            new = parameters_open(values=values,
                                  secret_keys={k for k in secret if is_sealed(values.get(k))})
        if new != values:
            row.parameters = new
            row.save(update_fields=["parameters"])
            changed += 1
    return changed
