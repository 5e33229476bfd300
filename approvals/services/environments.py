"""What a day-2 request (update, terminate) needs to know about the environment it names.

Environments belong to provisioning, above approvals in the dependency chain, so approvals never
reads them: provisioning registers a resolver here from its ``AppConfig.ready()`` that turns an
``environment_ref`` into the few facts checked when the request is made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from approvals.models import Request
from catalog.models import Product
from catalog.parameters import RESOURCE_IDENTITY_PARAMETERS
from portal.models import Project, User
from portal.registry import Registry
from portal.sealing import is_sealed, value_open


@dataclass(frozen=True)
class EnvironmentFacts:
    """An environment as request creation sees it."""

    owner_id: int
    project_id: int
    product_id: int
    terminated: bool
    # The current parameter values and tags ({key: value}): where a change request starts.
    parameters: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    # The name people know it by (``Request.name`` of a day-2 request about it).
    name: str = ""


EnvironmentResolver = Callable[[str], "EnvironmentFacts | None"]
_resolvers: Registry[EnvironmentResolver] = Registry("environment resolvers")

NOT_YOURS = "No such environment of yours in this project."


def environment_resolver_register(resolver: EnvironmentResolver) -> None:
    """Register how an ``environment_ref`` is resolved (None: no such environment)."""
    _resolvers.register(resolver)


def environment_resolvers() -> list[EnvironmentResolver]:
    """The registered resolvers (a copy)."""
    return list(_resolvers)


def _facts(environment_ref: str) -> EnvironmentFacts | None:
    return next((f for f in (r(environment_ref) for r in _resolvers) if f is not None), None)


def environment_name_for(*, requester: User, environment_ref: str) -> str:
    """The name of the requester's environment an ``environment_ref`` names ("" otherwise)."""
    facts = _facts(environment_ref)
    return facts.name if facts is not None and facts.owner_id == requester.pk else ""


def environment_current(*, requester: User, environment_ref: str) -> EnvironmentFacts | None:
    """The requester's own, live environment an ``environment_ref`` names (None otherwise: the
    form then starts empty and says nothing about environments that are not theirs)."""
    facts = _facts(environment_ref)
    if facts is None or facts.owner_id != requester.pk or facts.terminated:
        return None
    return facts


def change_identity_keep(*, requester: User, environment_ref: str, values: Mapping[str, Any],
                         kept: Iterable[str] = RESOURCE_IDENTITY_PARAMETERS,
                         secret: Iterable[str] = (),
                         ) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A change request's values with the identifying parameters at their current value.

    A parameter that names or identifies the resource (``kept``: by default
    ``RESOURCE_IDENTITY_PARAMETERS``; the effective parameters' ``on_change == "keep"``) left
    empty or unchanged keeps the environment's value; another value is refused, since
    CloudFormation would replace the resource and its data would be lost. A NoEcho parameter
    (``secret``) is never shown on the form, so one left empty keeps its current value too (and
    goes to AWS as UsePreviousValue) instead of falling back to the template's default. Returns
    (values, errors by key)."""
    facts = environment_current(requester=requester, environment_ref=environment_ref)
    result = {str(k): v for k, v in values.items()}
    errors: dict[str, list[str]] = {}
    if facts is None:
        return result, errors
    for key in kept:
        if key not in facts.parameters:
            continue
        current = str(facts.parameters[key])
        submitted = values.get(key)
        text = "" if submitted is None else str(submitted).strip()
        if text and text != current:
            errors[key] = [IDENTITY_LOCKED.format(key=key)]
        else:
            result[key] = current
    for key in secret:
        submitted = values.get(key)
        if key in facts.parameters and (submitted is None or not str(submitted).strip()):
            # Stored sealed: opened for this request only, validated and sealed again with it
            # (never copied as ciphertext, which would be sealed twice and reach AWS as such).
            current = facts.parameters[key]
            result[key] = value_open(current, key=key) if is_sealed(current) else str(current)
    return result, errors


IDENTITY_LOCKED = ("{key} names the resource and cannot be changed: changing it would replace "
                   "the resource, and its data would be lost. Request a new environment instead.")


def environment_ref_errors(*, requester: User, project: Project, product: Product, action: str,
                           environment_ref: str) -> list[str]:
    """Why a day-2 request may not name this environment; empty when it may.

    Someone else's environment, one in another project and one that does not exist get the same
    answer, so the form tells nobody which environments exist outside their own.
    """
    if not _resolvers:
        return ["Requests about an existing environment cannot be checked now: no app resolves "
                "environments. Nothing was submitted."]
    facts = _facts(environment_ref)
    if facts is None or facts.owner_id != requester.pk or facts.project_id != project.pk:
        return [NOT_YOURS]
    if facts.terminated:
        return ["This environment is terminated; there is nothing left to change or terminate."]
    # A terminate naming another product would also be routed by that product's approval rule.
    if facts.product_id != product.pk:
        if action == Request.Action.UPDATE:
            return ["A change keeps the environment's product; request a new environment to "
                    "use another product."]
        verb = "extend its lease" if action == Request.Action.EXTEND else "terminate it"
        return [f"Name the environment's own product to {verb}."]
    return []
