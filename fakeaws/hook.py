"""The entry point: ``attach(client)`` makes a boto3 client talk to the fake AWS.

botocore emits ``before-send.<service>`` with the prepared, signed request just before it would
open a connection; the first handler that returns an ``AWSResponse`` replaces the network (this is
how botocore's own Stubber-free tests work). So every request is built and validated against the
service model and signed, every answer goes through botocore's parser, and botocore's retry
handler sees throttling errors exactly as it would from AWS.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from django.db import transaction

from fakeaws import clock, faults
from fakeaws.credentials import FAKE_CREDENTIALS
from fakeaws.identity import Caller, caller_identify, signature_read
from fakeaws.models import CallLog
from fakeaws.protocol import (
    AwsError,
    json_answer,
    json_error,
    json_request,
    query_answer,
    query_error,
    query_request,
)
from fakeaws.services import registry

__all__ = ["FAKE_CREDENTIALS", "attach"]

logger = logging.getLogger(__name__)
ClientT = TypeVar("ClientT")


def attach(client: ClientT) -> ClientT:
    """Register the fake on this client (idempotent per client); returns the client."""
    events = client.meta.events  # type: ignore[attr-defined]
    events.register("before-send", _answer, unique_id="fakeaws-before-send")
    return client


def _answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
    url = request.url or ""
    try:
        signed = signature_read(request.headers)
    except AwsError as error:
        return json_error(url, error, "application/x-amz-json-1.1")
    service = registry.service(signed.service)
    if service is None:
        return json_error(url, AwsError("UnknownServiceException",
                                        f"The fake AWS does not offer {signed.service}.", 400),
                          "application/x-amz-json-1.1")
    query = service.protocol in ("query", "ec2")
    operation = ""
    caller: Caller | None = None
    try:
        if query:
            params = query_request(request.body)
            operation = str(params.pop("Action", ""))
            params.pop("Version", None)
        else:
            raw_target = request.headers.get("X-Amz-Target", b"")
            target = raw_target.decode() if isinstance(raw_target, bytes) else str(raw_target)
            operation = target.rpartition(".")[2]
            params = json_request(request.body)
        caller = caller_identify(signed=signed, headers=request.headers, query=query,
                                 request=request)
        faults.raise_if_injected(service=signed.service, operation=operation,
                                 account=caller.account)
        handler = service.operations.get(operation)
        if handler is None:
            raise AwsError("InvalidAction" if query else "UnknownOperationException",
                           f"The action {operation} is not valid for this endpoint.", 400)
        waiting = service.waits.get(operation)
        if waiting is not None:
            waiting(caller=caller, region=signed.region, params=params)
        with transaction.atomic():
            data = handler(caller=caller, region=signed.region, params=params)
    except AwsError as error:
        _log(signed.service, operation, signed.region, caller, error.code)
        if query:
            return query_error(url, error, service.namespace, ec2=service.protocol == "ec2")
        return json_error(url, error, service.content_type)
    _log(signed.service, operation, signed.region, caller, "")
    # After the commit: the fake has done the work (as AWS would have) when the answer is delayed.
    faults.answer_delay_wait(service=signed.service, operation=operation,
                            account=caller.account if caller else "")
    if query:
        return query_answer(url, operation, service.output_shape(operation), data,
                            service.namespace, ec2=service.protocol == "ec2")
    return json_answer(url, data, service.content_type)


def _log(service: str, operation: str, region: str, caller: Caller | None, code: str) -> None:
    CallLog.objects.create(
        service=service, operation=operation, region=region,
        account=caller.account if caller else "", principal=caller.arn if caller else "",
        session_name=caller.session_name if caller else "",
        source_identity=caller.source_identity if caller else "", error_code=code,
        at=clock.now())
    logger.debug("fakeaws %s.%s %s", service, operation, code or "OK")
