"""Opaque page tokens, as AWS hands them out (a bad token is a client error, never page one).

``page`` slices a list; ``page_window`` and ``page_next_token`` let a service slice a queryset in
the database instead, so a list of thousands of items costs one page of rows per call, as it does
AWS (the reconcile benchmark lists 20,000 resources through here).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

from fakeaws.protocol import AwsError

T = TypeVar("T")


def page_window(*, token: Any, size: Any, default: int, maximum: int,
                invalid_code: str = "InvalidParametersException") -> tuple[int, int]:
    """(first index, page size) a request asks for; a token this fake did not issue is refused."""
    start = 0
    if token:
        try:
            text = base64.urlsafe_b64decode(str(token).encode()).decode()
            if not text.startswith("o:"):
                raise ValueError(text)
            start = int(text.removeprefix("o:"))
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise AwsError(invalid_code, "The page token is not valid.") from None
        if start < 0:
            raise AwsError(invalid_code, "The page token is not valid.")
    count = int(size) if size else default
    if count < 1 or count > maximum:
        raise AwsError(invalid_code, f"PageSize must be between 1 and {maximum}.")
    return start, count


def page_next_token(*, start: int, count: int, total: int) -> str:
    """The token of the page after ``[start, start + count)``; empty after the last page."""
    following = start + count
    if following >= total:
        return ""
    return base64.urlsafe_b64encode(f"o:{following}".encode()).decode()


def page(items: list[T], *, token: Any, size: Any, default: int, maximum: int,
         invalid_code: str = "InvalidParametersException") -> tuple[list[T], str]:
    start, count = page_window(token=token, size=size, default=default, maximum=maximum,
                               invalid_code=invalid_code)
    return items[start:start + count], page_next_token(start=start, count=count,
                                                        total=len(items))
