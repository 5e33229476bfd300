"""The wire: decode a request botocore prepared, encode an answer its parsers read.

Facts relied on (botocore's own parsers, botocore/parsers.py, and the AWS protocol docs):
- JSON 1.1 (servicecatalog, sagemaker, kms, tagging): the operation is the part of
  ``X-Amz-Target`` after the dot; errors are a 4xx/5xx with a JSON body ``{"__type": Code,
  "message": ...}`` (a ``prefix#`` before the code is stripped by the parser); timestamps are
  epoch seconds.
- Query (sts, cloudformation): form-encoded ``Action=...`` bodies; answers are
  ``<{Op}Response><{Op}Result>…</{Op}Result><ResponseMetadata>`` XML, lists as ``<member>``,
  timestamps ISO 8601; errors ``<ErrorResponse><Error><Type/><Code/><Message/></Error>``.
- EC2 query: answers ``<{Op}Response>`` without a Result wrapper, lists as ``<item>``, errors
  ``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>``.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from botocore.awsrequest import AWSResponse
from botocore.model import Shape


class AwsError(Exception):
    """An error AWS would answer: code, message, HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400, sender: bool = True,
                 query_code: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender
        # JSON services that were query services (SQS, ``awsQueryCompatible``) also answer the
        # query-era code in ``x-amzn-query-error: <code>;Sender``, which botocore prefers.
        self.query_code = query_code


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


class _Body:
    """What ``AWSResponse.raw`` must offer: ``stream()`` of the body's bytes."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def response(url: str, status: int, headers: dict[str, str], body: bytes) -> AWSResponse:
    headers = {**headers, "Content-Length": str(len(body))}
    return AWSResponse(url, status, headers, _Body(body))


def request_id() -> str:
    return str(uuid.uuid4())


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def json_request(body: bytes | str | None) -> dict[str, Any]:
    text = body.decode() if isinstance(body, bytes) else (body or "")
    if not text.strip():
        return {}
    data = json.loads(text)
    if not isinstance(data, dict):
        raise AwsError("SerializationException", "Start of structure or map found where not "
                       "expected.")
    return data


def json_answer(url: str, data: dict[str, Any], content_type: str) -> AWSResponse:
    rid = request_id()
    body = json.dumps(_jsonable(data)).encode()
    return response(url, 200, {"x-amzn-RequestId": rid, "Content-Type": content_type}, body)


def json_error(url: str, error: AwsError, content_type: str) -> AWSResponse:
    rid = request_id()
    body = json.dumps({"__type": error.code, "message": error.message}).encode()
    headers = {"x-amzn-RequestId": rid, "Content-Type": content_type,
               "x-amzn-ErrorType": error.code}
    if error.query_code:
        headers["x-amzn-query-error"] = (
            f"{error.query_code};{'Sender' if error.sender else 'Receiver'}")
    return response(url, error.status, headers, body)


def query_request(body: bytes | str | None) -> dict[str, Any]:
    """Form fields into nested dicts/lists: ``Tags.member.1.Key=k`` → ``{"Tags": [{"Key": k}]}``."""
    text = body.decode() if isinstance(body, bytes) else (body or "")
    flat = dict(parse_qsl(text, keep_blank_values=True))
    result: dict[str, Any] = {}
    for dotted, value in flat.items():
        parts = dotted.split(".")
        node: Any = result
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part in ("member", "item"):
                continue
            if part.isdigit():
                position = int(part) - 1
                while len(node) <= position:
                    node.append({})
                if last:
                    node[position] = value
                else:
                    node = node[position]
                continue
            following = next((p for p in parts[index + 1:] if p not in ("member", "item")), None)
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, [] if following and following.isdigit() else {})
    return result


def _xml(shape: Shape | None, name: str, value: Any, *, ec2: bool) -> str:
    if value is None:
        return ""
    type_name = shape.type_name if shape is not None else "string"
    if type_name == "structure" and isinstance(value, dict):
        assert shape is not None
        inner = ""
        for member, member_shape in shape.members.items():
            if member in value:
                tag = member_shape.serialization.get("name", member)
                if ec2:
                    tag = member_shape.serialization.get("locationName", tag)
                inner += _xml(member_shape, tag, value[member], ec2=ec2)
        return f"<{name}>{inner}</{name}>"
    if type_name == "list":
        assert shape is not None
        item = shape.member
        item_tag = (item.serialization.get("locationName", "item") if ec2
                    else item.serialization.get("name", "member"))
        inner = "".join(_xml(item, item_tag, v, ec2=ec2) for v in value)
        if shape.serialization.get("flattened"):
            return "".join(_xml(item, name, v, ec2=ec2) for v in value)
        return f"<{name}>{inner}</{name}>"
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    return f"<{name}>{escape(text)}</{name}>"


def query_answer(url: str, operation: str, shape: Shape | None, data: dict[str, Any],
                 namespace: str, *, ec2: bool = False) -> AWSResponse:
    rid = request_id()
    if ec2:
        inner = _xml(shape, "x", data, ec2=True)[3:-4] if shape is not None else ""
        body = (f'<?xml version="1.0" encoding="UTF-8"?><{operation}Response xmlns="{namespace}">'
                f"<requestId>{rid}</requestId>{inner}</{operation}Response>")
    else:
        result = _xml(shape, f"{operation}Result", data, ec2=False) if shape is not None else ""
        body = (f'<{operation}Response xmlns="{namespace}">{result}'
                f"<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>"
                f"</{operation}Response>")
    return response(url, 200, {"x-amzn-RequestId": rid, "Content-Type": "text/xml"},
                    body.encode())


def query_error(url: str, error: AwsError, namespace: str, *, ec2: bool = False) -> AWSResponse:
    rid = request_id()
    if ec2:
        body = (f"<Response><Errors><Error><Code>{escape(error.code)}</Code><Message>"
                f"{escape(error.message)}</Message></Error></Errors><RequestID>{rid}</RequestID>"
                "</Response>")
    else:
        kind = "Sender" if error.sender else "Receiver"
        body = (f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type>'
                f"<Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message>"
                f"</Error><RequestId>{rid}</RequestId></ErrorResponse>")
    return response(url, error.status, {"x-amzn-RequestId": rid, "Content-Type": "text/xml"},
                    body.encode())
