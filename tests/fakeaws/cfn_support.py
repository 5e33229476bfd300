"""Helpers the CloudFormation engine tests share: a stack context with a predictable suffix."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

from fakeaws.cfn import PhysicalResource, StackContext, StackInstance, Template

ACCOUNT = "123456789012"
REGION = "eu-west-1"
STACK_NAME = "SC-123456789012-pp-abcdefghijklm"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/0f1e2d3c-aaaa-bbbb"


def counting_suffix() -> Callable[[], str]:
    """Suffixes S00000000001, S00000000002, …: 12 upper-case characters, predictable."""
    counter = itertools.count(1)
    return lambda: f"S{next(counter):011d}"


def context(parameters: Mapping[str, str] | None = None, *, stack_name: str = STACK_NAME,
            exports: Mapping[str, str] | None = None,
            existing: Mapping[str, PhysicalResource] | None = None,
            suffix: Callable[[], str] | None = None) -> StackContext:
    return StackContext(account=ACCOUNT, region=REGION, stack_name=stack_name,
                        stack_id=STACK_ID, parameters=dict(parameters or {}),
                        exports=dict(exports or {}), existing=dict(existing or {}),
                        suffix=suffix or counting_suffix())


def instantiate(text: str, parameters: Mapping[str, str] | None = None,
                **options: Any) -> StackInstance:
    return Template.load(text).instantiate(context=context(parameters, **options))


def resource(instance: StackInstance, logical_id: str) -> PhysicalResource:
    (found,) = [r for r in instance.resources if r.logical_id == logical_id]
    return found
