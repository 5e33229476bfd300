"""What the API accepts, checked once for every endpoint: the JSON parser, the pagination and the
type discipline of input serializers.

Each class here replaces a DRF default in ``REST_FRAMEWORK`` (settings) or is a base class of the
apps' input serializers, so a view never has to defend itself against malformed input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

from django.conf import settings
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param

# Deeper documents are refused before anything walks them recursively (the API's own bodies are
# at most three levels deep; 1,000 levels made the standard library raise RecursionError).
MAX_JSON_DEPTH = 32
MAX_PAGE_SIZE = 500
# An offset past this is refused: no list comes near it, and SQL would overflow past bigint.
MAX_OFFSET = 10**9
_ASCII_DIGITS = re.compile(r"^[0-9]{1,10}$")


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def json_problems(value: Any) -> str | None:
    """Why a parsed JSON document is refused (too deep, NUL characters), or None.

    Iterative, so depth itself cannot exhaust the stack. PostgreSQL's text and jsonb types cannot
    hold U+0000, so a NUL anywhere (key or value) would fail at the database instead of here.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted."
        if isinstance(item, str):
            if "\x00" in item:
                return "NUL characters (\\u0000) are not accepted."
        elif isinstance(item, Mapping):
            stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return None


class PortalJSONParser(JSONParser):
    """JSON only, bounded in size and depth, without NUL characters or NaN/Infinity."""

    def parse(self, stream: IO[bytes] | None, media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        # Django checks this limit only where it reads the body itself; a JSON body is read here.
        if limit is not None and len(raw) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = raw.decode(encoding)
            data = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            raise ParseError(
                f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted."
            ) from None
        except (ValueError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        problem = json_problems(data)
        if problem:
            raise ParseError(problem)
        return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class PortalPagination(LimitOffsetPagination):
    """limit/offset with plain ASCII numbers only: limit 1..500 (larger is capped), a bounded
    offset. Anything else (``?limit=true``, ``?limit=²``, a number past bigint) is a 400, where
    DRF would silently fall back to the default or let SQL overflow.

    ``?page=N`` (from 1) is the same window as ``offset=(N-1)*limit``, for clients that count
    pages; every list answers with ``page`` and ``pages`` beside DRF's ``count``/``next``/
    ``previous``. A page past the last one is an empty ``results``, as an offset past the end is.
    """

    max_limit = MAX_PAGE_SIZE
    page_query_param = "page"

    def paginate_queryset(self, queryset: Any, request: Request,
                          view: Any = None) -> list[Any] | None:
        """DRF's window and ``count``, with the rows read first (``limit + 1`` of them): when
        the list ends within the window, the count is the offset plus the rows read and no
        ``SELECT COUNT(*)`` runs (issue 16: most people's lists fit on their first page, as
        ``portal.paging.CountLastPaginator`` has it for the pages). Otherwise, or for a window
        past the end (no rows), DRF's count, and the answer DRF gives."""
        return self.paginate_window(lambda start, stop: list(queryset[start:stop]),
                                    lambda: self.get_count(queryset), request)

    def paginate_window(self, read: Callable[[int, int], Sequence[Any]],
                        count: Callable[[], int], request: Request) -> list[Any] | None:
        """``paginate_queryset`` of a list read through ``read(start, stop)`` (its rows
        ``start`` to ``stop - 1``, in order) and counted by ``count()``: for a list whose
        window is read otherwise than by slicing a queryset (a compiled statement)."""
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.offset = self.get_offset(request)
        rows = list(read(self.offset, self.offset + self.limit + 1))
        if len(rows) <= self.limit and (rows or self.offset == 0):
            self.count = self.offset + len(rows)
        else:
            self.count = count()
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        if self.count == 0 or self.offset > self.count:
            return []
        return rows[:self.limit]

    def get_offset(self, request: Request) -> int:
        page = self.get_page(request)
        if page is None:
            return self._offset(request)
        if self.offset_query_param in request.query_params:
            raise ValidationError({self.page_query_param: [
                "Give either page or offset, not both."]})
        offset = (page - 1) * (self.limit or 1)
        if offset > MAX_OFFSET:
            raise ValidationError({self.page_query_param: ["This page is past any list's end."]})
        return offset

    def get_next_link(self) -> str | None:
        return _without_page(super().get_next_link())

    def get_previous_link(self) -> str | None:
        return _without_page(super().get_previous_link())

    def get_page(self, request: Request) -> int | None:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return None
        if not _ASCII_DIGITS.match(raw) or int(raw) < 1:
            raise ValidationError({self.page_query_param: [
                "A whole number from 1 is required."]})
        return int(raw)

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        limit = self.limit or 1
        response.data["page"] = (self.offset or 0) // limit + 1
        response.data["pages"] = max(1, -(-(self.count or 0) // limit))
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        described = super().get_paginated_response_schema(schema)
        described["properties"]["page"] = {"type": "integer", "example": 1,
                                           "description": "this page's number, from 1"}
        described["properties"]["pages"] = {"type": "integer", "example": 3,
                                            "description": "how many pages the list has"}
        described.setdefault("required", []).extend(["page", "pages"])
        return described

    def get_limit(self, request: Request) -> int | None:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return self.default_limit
        if not _ASCII_DIGITS.match(raw) or int(raw) < 1:
            raise ValidationError({self.limit_query_param: [
                f"A whole number from 1 to {self.max_limit} is required."]})
        return min(int(raw), self.max_limit)

    def _offset(self, request: Request) -> int:
        raw = request.query_params.get(self.offset_query_param)
        if raw is None:
            return 0
        if not _ASCII_DIGITS.match(raw) or int(raw) > MAX_OFFSET:
            raise ValidationError({self.offset_query_param: [
                f"A whole number from 0 to {MAX_OFFSET} is required."]})
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_limit})
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"].update({"minimum": 0, "maximum": MAX_OFFSET})
        parameters.append({
            "name": self.page_query_param, "required": False, "in": "query",
            "description": "Page number, from 1 (instead of offset): offset = (page - 1) × limit.",
            "schema": {"type": "integer", "minimum": 1},
        })
        return parameters


def _without_page(url: str | None) -> str | None:
    """DRF's next/previous links carry offset; the page a client sent would contradict it."""
    return None if url is None else remove_query_param(url, PortalPagination.page_query_param)


_NUMBER_FIELDS = (serializers.IntegerField, serializers.FloatField, serializers.DecimalField)


class StrictInput(serializers.Serializer[Any]):
    """An input serializer that takes JSON types as they are: a number where a number is
    expected, a string where a string is, a boolean where a boolean is.

    DRF coerces by default ("5" becomes 5, 5 becomes "5", "yes" becomes True), so a client's
    mistake would be accepted as something it did not send.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            errors: dict[str, list[str]] = {}
            for name, field in self.fields.items():
                if field.read_only or field.source == "*" or name not in data:
                    continue
                problem = _type_problem(field, data[name])
                if problem:
                    errors[name] = [problem]
            if errors:
                # Reported with the other fields' errors, so one answer lists every mistake.
                try:
                    super().to_internal_value(data)
                except ValidationError as exc:
                    if isinstance(exc.detail, dict):
                        errors = {**exc.detail, **errors}  # type: ignore[dict-item]
                raise ValidationError(errors)
        return super().to_internal_value(data)


def _type_problem(field: serializers.Field, value: Any) -> str | None:  # type: ignore[type-arg]
    if value is None:
        return None  # allow_null decides
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "A boolean (true or false) is required."
    if isinstance(field, _NUMBER_FIELDS):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "A number is required, not a string."
    if isinstance(field, serializers.ChoiceField | serializers.CharField):
        return None if isinstance(value, str) else "A string is required."
    if isinstance(field, serializers.DictField) and isinstance(value, Mapping):
        child = field.child
        for item in value.values():
            problem = _type_problem(child, item)
            if problem:
                return f"Every value: {problem[0].lower()}{problem[1:]}"
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        for item in value:
            problem = _type_problem(field.child, item)
            if problem:
                return f"Every item: {problem[0].lower()}{problem[1:]}"
    return None
