"""What a change (day 2) sends to AWS: which parameters change, which keep their value, the tags.

A change request starts from the environment's current values (the request form is pre-filled).
Only what the requester changed is sent as a value; everything else goes out as
``UsePreviousValue=True`` (botocore's ``UpdateProvisioningParameter``), so Service Catalog keeps
what the stack has: a parameter nobody meant to change is never re-sent, not even with the same
text. The parameters that name or identify the resource (``RESOURCE_IDENTITY_PARAMETERS``) always
keep their previous value: CloudFormation replaces a notebook instance or a user profile whose
name changes, and its data is lost. SageMaker's own project parameters are never sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from approvals.models import Request
from catalog.parameters import ON_CHANGE_KEEP, SAGEMAKER_PROJECT_PARAMETERS, parameters_effective
from provisioning.backends import Invalid, Tag
from provisioning.models import Environment
from provisioning.services import environment_tags, parameters_in_template_order
from provisioning.tags import TagSetInvalid


@dataclass(frozen=True)
class ChangePlan:
    """``send``: the changed values; ``keep``: keys sent with UsePreviousValue; ``after``: the
    environment's parameters once the change is applied."""

    send: dict[str, str]
    keep: list[str]
    after: dict[str, str]


def environment_change_plan(*, environment: Environment, request: Request) -> ChangePlan:
    """Split an approved change request's parameters into changed and kept ones."""
    current = {str(k): "" if v is None else str(v) for k, v in environment.parameters.items()}
    # What names the resource keeps its value; what the admin lets change (on_change "replace")
    # is sent like any value when it changed.
    kept = {p.key for p in parameters_effective(version=request.version)
            if p.on_change == ON_CHANGE_KEEP}
    wanted = parameters_in_template_order(environment, dict(request.parameters or {}))
    send: dict[str, str] = {}
    keep: list[str] = []
    after: dict[str, str] = {}
    for key, value in wanted.items():
        if key in SAGEMAKER_PROJECT_PARAMETERS:
            continue  # SageMaker's to fill, never re-sent
        if key in current and (key in kept or value == current[key]):
            keep.append(key)
            after[key] = current[key]
        else:
            send[key] = value
            after[key] = value
    return ChangePlan(send=send, keep=keep, after=after)


def environment_change_tags(*, environment: Environment, request: Request) -> list[Tag]:
    """The tags a change applies: the portal's own (unchanged: they still name the environment's
    origin request) with the TagOption values the change request picked; with no pick, the
    environment's tags as they are. Raises ``Invalid`` when the set is refused."""
    if not request.tag_choices:
        return [Tag(t["Key"], t["Value"]) for t in environment.tags]
    origin = environment.origin_request
    try:
        return environment_tags(environment=environment, request=origin,
                                choices=request.tag_choices)
    except TagSetInvalid as exc:
        raise Invalid(operation="UpdateProvisionedProduct", code="TagsRefused",
                      message=f"Tags refused: {exc}") from exc


def tags_as_rows(tags: list[Tag]) -> list[dict[str, Any]]:
    return [{"Key": t.key, "Value": t.value} for t in tags]
