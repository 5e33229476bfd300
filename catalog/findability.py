"""Can the portal find what a version provisions? Told to the admin per version at curation time,
and flagged at sync, from what the sync stores: the version's output keys and parameter keys.

After provisioning the portal looks at the admin's output mapping, the
other outputs (well-known keys, or the resource's ARN), the parameters it sent (adopted only when
the resource carries the environment's tags), then the stack's resources and the tagged
resources. The first three can be judged from the version's declarations; a version that needs
the last two is flagged: it works only if the project role may call
``cloudformation:ListStackResources`` and ``tag:GetResources``, and the admin should know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from catalog.models import OUTPUT_FIELDS, Product, ProductVersion
from catalog.sources import SyncTarget

# Output and parameter keys that name the resource in the shapes real products have.
NOTEBOOK_KEY = re.compile(r"^notebook(instance)?name$", re.IGNORECASE)
PROFILE_KEY = re.compile(r"^(studio)?(user)?profilename$", re.IGNORECASE)
DOMAIN_KEY = re.compile(r"^(studio)?domainid$", re.IGNORECASE)
PROJECT_NAME_KEY = re.compile(r"^(sagemaker)?projectname$", re.IGNORECASE)
PROJECT_ID_KEY = re.compile(r"^(sagemaker)?projectid$", re.IGNORECASE)
# Output keys that usually hold the resource's ARN (``Ref`` of the resource).
NOTEBOOK_ARN_KEY = re.compile(r"^notebook(instance)?(arn)?$", re.IGNORECASE)
PROFILE_ARN_KEY = re.compile(r"^(studio)?(user)?profile(arn)?$", re.IGNORECASE)

FIELD_KEYS: dict[str, re.Pattern[str]] = {
    "notebook_instance_name": NOTEBOOK_KEY, "domain_id": DOMAIN_KEY,
    "user_profile_name": PROFILE_KEY, "project_name": PROJECT_NAME_KEY,
    "project_id": PROJECT_ID_KEY,
}
FIELD_LABELS = {"notebook_instance_name": "notebook instance name", "domain_id": "Studio domain id",
                "user_profile_name": "user profile name"}
# The identifiers each launchable kind needs to be opened.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    Product.Kind.NOTEBOOK_INSTANCE: ("notebook_instance_name",),
    Product.Kind.STUDIO_USER_PROFILE: ("domain_id", "user_profile_name"),
    Product.Kind.SAGEMAKER_PROJECT: ("project_name", "project_id"),
}
# Parameters the portal fills itself when the requester leaves them empty (provisioning).
PORTAL_FILLED: dict[str, str] = {Product.Kind.NOTEBOOK_INSTANCE: "NotebookInstanceName",
                                 Product.Kind.STUDIO_USER_PROFILE: "UserProfileName"}


@dataclass(frozen=True)
class Findability:
    """``declared``: the version's outputs or parameters identify the resource (``how`` says
    which); otherwise the portal must read the stack's resources or the tagged resources."""

    declared: bool
    how: list[str]


def _field_source(kind: str, field: str, mapping: dict[str, str], outputs: list[str],
                  parameters: list[str]) -> str:
    label = FIELD_LABELS.get(field, field)
    mapped = mapping.get(field, "")
    if mapped and mapped in outputs:
        return f"{label}: output {mapped} (output mapping)"
    for key in outputs:
        if FIELD_KEYS[field].match(key):
            return f"{label}: output {key}"
    arn_key = {"notebook_instance_name": NOTEBOOK_ARN_KEY, "domain_id": PROFILE_ARN_KEY,
               "user_profile_name": PROFILE_ARN_KEY}.get(field)
    for key in outputs:
        if arn_key is not None and arn_key.match(key):
            return f"{label}: the ARN in output {key}"
    for key in parameters:
        if FIELD_KEYS[field].match(key):
            filled = " (filled by the portal when left empty)" if PORTAL_FILLED.get(
                kind) == key else ""
            return f"{label}: parameter {key}{filled}, checked against the resource's tags"
    return ""


def version_findability(*, version: ProductVersion, product: Product | None = None
                        ) -> Findability | None:
    """How the portal will find what ``version`` provisions; None for kinds with nothing to
    find (``other``)."""
    product = product or version.product
    kind = product.kind
    if kind not in KIND_FIELDS:
        return None
    if kind == Product.Kind.SAGEMAKER_PROJECT:
        return Findability(declared=True, how=[
            "SageMaker's DescribeProject names the project the portal created"])
    mapping = dict(product.output_mapping or OUTPUT_FIELDS.get(kind, {}))
    outputs = [str(k) for k in version.output_keys or []]
    parameters = [p.key for p in version.parameters.all() if p.retired_at is None]
    how: list[str] = []
    missing: list[str] = []
    for field in KIND_FIELDS[kind]:
        source = _field_source(kind, field, mapping, outputs, parameters)
        if source:
            how.append(source)
        else:
            missing.append(FIELD_LABELS.get(field, field))
    if missing:
        how.append(f"{', '.join(missing)}: only from the stack's resources or the resources "
                   "tagged for the environment, after provisioning (the project role needs "
                   "cloudformation:ListStackResources and tag:GetResources)")
    return Findability(declared=not missing, how=how)


def findability_flags(*, product: Product) -> list[dict[str, str]]:
    """A flag per live version whose outputs and parameters do not identify the resource."""
    flags = []
    for version in product.versions.all():
        if version.retired_at is not None:
            continue
        found = version_findability(version=version, product=product)
        if found is not None and not found.declared:
            flags.append({
                "code": "resource_not_declared", "version": version.name,
                "message": f"Version {version.name}: the template's outputs and parameters do "
                           f"not identify the {product.get_kind_display().lower()}; "
                           f"{found.how[-1]}."})
    return flags


def target_findability_flags(*, target: SyncTarget) -> list[dict[str, str]]:
    """The flags of the target's live products (the sync reports them after applying it)."""
    flags: list[dict[str, str]] = []
    products = Product.objects.filter(
        aws_account_id=target.aws_account_id, aws_region=target.aws_region,
        retired_at__isnull=True).prefetch_related("versions__parameters").order_by("name")
    for product in products:
        flags.extend({"target": str(target), "product": product.name, **flag}
                     for flag in findability_flags(product=product))
    return flags
