"""Which fake operations exist, per service signing name, and how each service speaks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from botocore.model import ServiceModel, Shape

from fakeaws.identity import Caller

Handler = Callable[..., dict[str, Any]]


@functools.cache
def service_model(name: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(name)


@dataclass
class Service:
    signing_name: str
    model_name: str          # botocore's name for the service
    protocol: str            # json, query, ec2
    namespace: str = ""      # XML namespace of query answers
    operations: dict[str, Handler] = field(default_factory=dict)
    json_version: str = "1.1"
    # Run before an operation's transaction, outside it (SQS long polling waits here, so a
    # waiting receive never holds a database transaction open).
    waits: dict[str, Handler] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        return f"application/x-amz-json-{self.json_version}"

    def output_shape(self, operation: str) -> Shape | None:
        return service_model(self.model_name).operation_model(operation).output_shape


_SERVICES: dict[str, Service] = {
    "servicecatalog": Service("servicecatalog", "servicecatalog", "json"),
    "sagemaker": Service("sagemaker", "sagemaker", "json"),
    "kms": Service("kms", "kms", "json"),
    "ce": Service("ce", "ce", "json"),
    "tagging": Service("tagging", "resourcegroupstaggingapi", "json"),
    "sts": Service("sts", "sts", "query", "https://sts.amazonaws.com/doc/2011-06-15/"),
    "cloudformation": Service("cloudformation", "cloudformation", "query",
                              "http://cloudformation.amazonaws.com/doc/2010-05-15/"),
    "ec2": Service("ec2", "ec2", "ec2", "http://ec2.amazonaws.com/doc/2016-11-15/"),
    # SQS speaks JSON 1.0 since 2023 (botocore's model: protocol json, jsonVersion 1.0,
    # awsQueryCompatible); its errors carry the query-era code in x-amzn-query-error.
    "sqs": Service("sqs", "sqs", "json", json_version="1.0"),
}


def operation(signing_name: str, name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _SERVICES[signing_name].operations[name] = fn
        return fn
    return register


def wait(signing_name: str, name: str) -> Callable[[Handler], Handler]:
    """Register what runs before ``name``'s transaction (see ``Service.waits``)."""
    def register(fn: Handler) -> Handler:
        _SERVICES[signing_name].waits[name] = fn
        return fn
    return register


def service(signing_name: str) -> Service | None:
    _load_handlers()
    return _SERVICES.get(signing_name)


@functools.cache
def _load_handlers() -> None:
    # Imported here: the handler modules register themselves with ``operation``.
    from fakeaws.services import (  # noqa: F401
        ce,
        platform,
        sagemaker,
        sc_owner,
        sc_plans,
        sc_provisioning,
        servicecatalog,
        sm_projects,
        sqs,
        sts,
    )


__all__ = ["Caller", "Handler", "Service", "operation", "service", "service_model", "wait"]
