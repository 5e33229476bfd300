"""Choices for parameters of AWS-specific types, read from the project account.

CloudFormation's console offers the account's existing subnets, VPCs and security groups for
``AWS::EC2::…::Id`` parameters; the portal does the same with EC2 DescribeSubnets, DescribeVpcs and
DescribeSecurityGroups, and KMS ListAliases for KMS key parameters, through the project's client
(``portal.aws.aws_client``, which assumes the project's role). A parameter the platform team
narrowed with allowed values keeps those as its choices and costs no call. A read that fails
leaves the parameter without known choices: the form falls back to a text field, says why
(``AccountChoices.unavailable``), and validation still checks each identifier's format.

The request form, the API and the provision task (in the apps above this one) validate
against the same listing (``parameters_for_project``), so a subnet that does not exist in
the project's account is refused when it is requested and, should it be deleted meanwhile, again
before ProvisionProduct. Listings are cached for ``PORTAL_RESOURCE_CHOICES_CACHE_SECONDS`` per
account, region, role and kind: the page and the POST ask within seconds, and a worker
provisioning a batch of approvals lists the account once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.cache import cache

from catalog.models import ProductVersion
from catalog.narrowing import parameters_narrowed
from catalog.parameters import EffectiveParameter, parameters_effective
from portal.aws import aws_client
from portal.models import Project

logger = logging.getLogger(__name__)

ClientFactory = Callable[[str], Any]
Choice = tuple[str, str]  # (identifier, label)


@dataclass(frozen=True)
class ResourceListing:
    service: str
    operation: str  # a pageable boto3 operation
    items_key: str


LISTINGS: dict[str, ResourceListing] = {
    "AWS::EC2::Subnet::Id": ResourceListing("ec2", "describe_subnets", "Subnets"),
    "AWS::EC2::VPC::Id": ResourceListing("ec2", "describe_vpcs", "Vpcs"),
    "AWS::EC2::SecurityGroup::Id": ResourceListing("ec2", "describe_security_groups",
                                                   "SecurityGroups"),
    "AWS::KMS::Key::Id": ResourceListing("kms", "list_aliases", "Aliases"),
}


def _name_tag(item: Mapping[str, Any]) -> str:
    return next((str(t.get("Value", "")) for t in item.get("Tags") or []
                 if t.get("Key") == "Name"), "")


def _choice(kind: str, item: Mapping[str, Any]) -> Choice | None:
    """One resource as (identifier, label); None for what cannot be chosen."""
    if kind == "AWS::EC2::Subnet::Id":
        details = [_name_tag(item), item.get("AvailabilityZone", ""), item.get("CidrBlock", "")]
        ident = str(item["SubnetId"])
    elif kind == "AWS::EC2::VPC::Id":
        details = [_name_tag(item), item.get("CidrBlock", "")]
        ident = str(item["VpcId"])
    elif kind == "AWS::EC2::SecurityGroup::Id":
        details = [item.get("GroupName", ""), item.get("VpcId", "")]
        ident = str(item["GroupId"])
    else:
        # ListAliases also lists AWS-managed aliases whose key does not exist yet (no
        # TargetKeyId): they cannot encrypt anything until a service creates the key.
        if not item.get("TargetKeyId"):
            return None
        return str(item["AliasName"]), str(item["AliasName"])
    label = " · ".join(str(d) for d in details if d)
    return ident, f"{ident} ({label})" if label else ident


def resource_choices_list(*, kind: str, client: Any) -> list[Choice]:
    """Every resource of one kind the client's account and region has, sorted by label."""
    listing = LISTINGS[kind]
    found: list[Choice] = []
    for page in client.get_paginator(listing.operation).paginate():
        for item in page.get(listing.items_key, []):
            choice = _choice(kind, item)
            if choice is not None:
                found.append(choice)
    return sorted(found, key=lambda c: c[1])


@dataclass(frozen=True)
class AccountChoices:
    """The account's resources per parameter key, and the keys whose listing failed (with the
    sentence to show: the form then asks for the identifier as text)."""

    choices: dict[str, list[Choice]]
    unavailable: dict[str, str]


UNAVAILABLE = ("The portal could not read the {what} of the project's AWS account just now: "
               "type the identifier; it is checked again before provisioning.")
WHAT = {"AWS::EC2::Subnet::Id": "subnets", "AWS::EC2::VPC::Id": "VPCs",
        "AWS::EC2::SecurityGroup::Id": "security groups", "AWS::KMS::Key::Id": "KMS keys"}


def _cache_key(project: Project, kind: str) -> str:
    return ":".join(("resource-choices", project.aws_account_id, project.aws_region,
                     project.aws_role_arn, kind))


def parameter_choices_read(
    *, project: Project, parameters: Iterable[EffectiveParameter],
    client_for: ClientFactory | None = None,
) -> AccountChoices:
    """Choices per parameter key for the visible AWS-typed parameters the admin did not narrow
    (a fixed value or allowed values win: no listing for them).

    One listing per resource kind, whatever the number of parameters of that kind, reused from
    the cache while it lasts. A failed listing is not cached.
    """
    make = client_for or (lambda service: aws_client(service, project=project))
    wanted = [p for p in parameters
              if p.resource_type and not p.hidden and not p.allowed_values]
    seconds = settings.PORTAL_RESOURCE_CHOICES_CACHE_SECONDS
    by_kind: dict[str, list[Choice] | None] = {}
    clients: dict[str, Any] = {}
    result = AccountChoices(choices={}, unavailable={})
    for parameter in wanted:
        kind = parameter.resource_type
        if kind not in by_kind:
            cached = cache.get(_cache_key(project, kind)) if seconds else None
            if cached is not None:
                by_kind[kind] = [(str(i), str(label)) for i, label in cached]
            else:
                by_kind[kind] = _listing(kind, project=project, make=make, clients=clients)
                if by_kind[kind] is not None and seconds:
                    cache.set(_cache_key(project, kind), by_kind[kind], seconds)
        known = by_kind[kind]
        if known is None:
            result.unavailable[parameter.key] = UNAVAILABLE.format(what=WHAT[kind])
        else:
            result.choices[parameter.key] = known
    return result


def _listing(kind: str, *, project: Project, make: ClientFactory,
             clients: dict[str, Any]) -> list[Choice] | None:
    service = LISTINGS[kind].service
    try:
        client = clients.get(service) or make(service)
        clients[service] = client
        return resource_choices_list(kind=kind, client=client)
    except (ClientError, BotoCoreError) as exc:
        logger.warning("Could not list %s for project %s: %s", kind, project.slug, exc)
        return None


def parameter_choices_for(
    *, project: Project, parameters: Iterable[EffectiveParameter],
    client_for: ClientFactory | None = None,
) -> dict[str, list[Choice]]:
    """The known choices only (see ``parameter_choices_read``)."""
    return parameter_choices_read(project=project, parameters=parameters,
                                  client_for=client_for).choices


def parameters_offered(*, version: ProductVersion, project: Project | None,
                       client_for: ClientFactory | None = None, narrowed: bool = True,
                       effective: list[EffectiveParameter] | None = None,
                       ) -> tuple[list[EffectiveParameter], AccountChoices]:
    """What a request for ``version`` in ``project`` may choose from, and the account listing
    behind it: the one computation the product page's form, the API's JSON Schema, the request
    form and the validation of a request share, so what one offers the others accept.

    The effective parameters (the curation), AWS-typed ones with the project account's
    resources as their choices, then every registered narrowing (``catalog.narrowing``: the
    guardrails of the project's environment and the product's kind): the stricter wins.
    Without a project: the curation's parameters as they are. ``narrowed=False``: without the
    narrowings, for the validation of a submitted request, whose guardrail check (registered
    with approvals and provisioning) refuses with the rule's name and version instead of a
    bare "choose one of"; tests/guardrails/test_form_narrowing.py holds the two to agreement.
    ``effective``: ``parameters_effective`` of the version as the caller read it already (the
    product page reads it with the versions, ``catalog.product_page``).
    """
    parameters = parameters_effective(version=version) if effective is None else effective
    read = AccountChoices(choices={}, unavailable={})
    if project is None:
        return parameters, read
    if any(p.resource_type for p in parameters):
        read = parameter_choices_read(project=project, parameters=parameters,
                                      client_for=client_for)
        parameters = parameters_with_choices(parameters, read.choices)
    if not narrowed:
        return parameters, read
    return parameters_narrowed(parameters, product=version.product, project=project), read


def parameters_for_project(*, version: ProductVersion, project: Project
                           ) -> list[EffectiveParameter]:
    """``parameters_offered`` before the narrowings, without the listing (what validation
    checks a request against; the guardrail checks then refuse what they narrow away)."""
    return parameters_offered(version=version, project=project, narrowed=False)[0]


def parameters_with_choices(
    parameters: Iterable[EffectiveParameter], choices: Mapping[str, list[Choice]]
) -> list[EffectiveParameter]:
    """The parameters with the account's identifiers as their ``choices`` (for validation)."""
    return [replace(p, choices=tuple(ident for ident, _ in choices[p.key]))
            if p.key in choices else p for p in parameters]
