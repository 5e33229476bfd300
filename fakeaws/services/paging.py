"""Opaque page tokens, as AWS hands them out (a bad token is a client error, never page one)."""

from __future__ import annotations

import base64
from typing import Any, TypeVar

from fakeaws.protocol import AwsError

T = TypeVar("T")


def page(items: list[T], *, token: Any, size: Any, default: int, maximum: int,
         invalid_code: str = "InvalidParametersException") -> tuple[list[T], str]:
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(str(token).encode()).decode().removeprefix("o:"))
        except (ValueError, UnicodeDecodeError):
            raise AwsError(invalid_code, "The page token is not valid.") from None
    count = int(size) if size else default
    if count < 1 or count > maximum:
        raise AwsError(invalid_code, f"PageSize must be between 1 and {maximum}.")
    chunk = items[start:start + count]
    following = start + count
    if following >= len(items):
        return chunk, ""
    return chunk, base64.urlsafe_b64encode(f"o:{following}".encode()).decode()
