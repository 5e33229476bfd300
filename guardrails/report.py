"""Which existing environments the guardrails in force refuse (a report: nothing is changed),
and a version's rules in words for its page. A constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from guardrails.checks import lease_after_extension
from guardrails.rules import Guardrails, Subject, Violation, violations
from guardrails.services import InForce
from provisioning.models import Environment

# Gone environments run nothing; every other state has (or will have) resources in AWS.
GONE = (Environment.Status.TERMINATED,)


@dataclass(frozen=True)
class ViolationRow:
    """One environment and one rule it breaks."""

    environment: Environment
    violation: Violation


def guardrail_violators(*, in_force: InForce | None) -> list[ViolationRow]:
    """Every live environment's broken rules, by project then environment name."""
    if in_force is None:
        return []
    environments = (Environment.objects.exclude(status__in=GONE)
                    .select_related("product", "project", "owner", "origin_request")
                    .order_by("project__slug", "provisioned_product_name"))
    rows: list[ViolationRow] = []
    for environment in environments:
        subject = Subject(kind=environment.product.kind,
                          product_id=environment.product.product_id,
                          project_environment=environment.project.environment,
                          parameters=environment.parameters or {},
                          lease_days=lease_after_extension(environment, 0))
        rows.extend(ViolationRow(environment=environment, violation=v)
                    for v in violations(in_force.rules, subject, version=in_force.version))
    return rows


def rules_described(rules: Guardrails) -> list[tuple[str, str]]:
    """The rules that are on, as (rule, what it allows) lines."""
    lines = [(f"Allowed instance types in {e} projects", ", ".join(v))
             for e, v in rules.instance_types_by_environment.items()]
    lines += [(f"Allowed instance types for {k.replace('_', ' ')} products", ", ".join(v))
              for k, v in rules.instance_types_by_kind.items()]
    for on, rule, allows in (
            (rules.kms_key_required, "KMS key required", "KmsKeyId must name a key"),
            (rules.root_access_disabled, "Root access disabled", "RootAccess = Disabled"),
            (rules.direct_internet_disabled, "Direct internet access disabled",
             "DirectInternetAccess = Disabled"),
            (rules.network_required, "Subnet and security groups required",
             "SubnetId and SecurityGroupIds set")):
        if on:
            lines.append((rule, allows))
    if rules.allowed_subnets:
        lines.append(("Allowed subnets", ", ".join(rules.allowed_subnets)))
    if rules.allowed_security_groups:
        lines.append(("Allowed security groups", ", ".join(rules.allowed_security_groups)))
    if rules.volume_min_gb is not None or rules.volume_max_gb is not None:
        lines.append(("Volume size (GB)", f"{rules.volume_min_gb or '—'} to "
                                          f"{rules.volume_max_gb or '—'}"))
    if rules.max_lease_days is not None:
        lines.append(("Maximum lease", f"{rules.max_lease_days} days"))
    lines += [(f"Parameter keys of {p}", ", ".join(f"{k} → {v}" for k, v in m.items()))
              for p, m in rules.aliases.items()]
    return lines
