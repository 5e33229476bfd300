"""Validating a request field by field, every refusal collected, nothing written.

Split from ``approvals.services.create`` (which stores a request once it is valid, and checks
the limits and the name again under the project's lock): each field has its own step here, and
``request_validate`` runs them all so a form shows every refusal at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from approvals.models import Request
from approvals.services.environments import change_identity_keep, environment_ref_errors
from approvals.services.names import resource_name_errors
from catalog.checks import tag_choices_validate
from catalog.leases import lease_terms
from catalog.models import Product, ProductVersion
from catalog.parameters import (
    ON_CHANGE_KEEP,
    EffectiveParameter,
    parameters_effective,
    parameters_validate,
)
from catalog.resource_choices import parameters_for_project
from catalog.selectors import (
    product_for_user,
    projects_for_product,
    version_for_form,
    version_requested_or_default,
    versions_requestable,
)
from portal.models import Project, User
from portal.selectors import projects_for_user

JUSTIFICATION_MAX = 4000


@dataclass
class RequestDraft:
    """A request's input as validated: the values to store, and ``errors`` by field (empty:
    every field is valid, ``project`` and ``version`` are then set)."""

    product: Product
    project: Project | None
    version: ProductVersion | None
    environment_ref: str | None
    justification: str
    lease_days: int | None
    values: dict[str, str]
    tags: dict[str, str]
    errors: dict[str, Any] = field(default_factory=dict)


def project_pick(errors: dict[str, Any], *, requester: User, product: Product,
                 project_slug: str) -> Project | None:
    """The requester's project of that slug, where the product can be provisioned (its account
    and region); None with the reason in ``errors["project"]``."""
    project = projects_for_user(user=requester).filter(slug=project_slug).first()
    if project is None:
        errors["project"] = ["You are not a member of this project."]
    elif not projects_for_product(user=requester, product=product).filter(pk=project.pk).exists():
        errors["project"] = ["This product cannot be provisioned in this project's AWS account "
                             "and region."]
    return project


def version_pick(*, product: Product, version_id: int | None) -> ProductVersion | None:
    """The version asked for when it is requestable, the default one when none was asked for;
    None when it cannot be requested."""
    return version_requested_or_default(
        product=product, versions=versions_requestable(product=product), requested=version_id)


def action_errors(*, action: str, environment_ref: str | None) -> list[str] | None:
    """The message of a bad action/environment pairing (None when it is fine)."""
    if action == Request.Action.CREATE and environment_ref:
        return ["A new environment has no environment reference."]
    if action != Request.Action.CREATE and not (environment_ref or "").strip():
        return ["Say which environment this request is about."]
    return None


def environment_ref_check(errors: dict[str, Any], *, requester: User, project: Project | None,
                          product: Product, action: str, environment_ref: str | None
                          ) -> str | None:
    """The environment a day-2 request is about (stripped; None for a new environment): an
    action of the list, paired with a reference only when it is a change, and (with a
    project) the requester's own live environment of the product there."""
    ref = (environment_ref or "").strip() or None
    if action not in Request.Action.values:
        errors["action"] = ["Choose one of: " + ", ".join(Request.Action.values) + "."]
    elif (pairing := action_errors(action=action, environment_ref=environment_ref)) is not None:
        errors["environment_ref"] = pairing
    elif ref is not None and project is not None:
        ref_errors = environment_ref_errors(requester=requester, project=project,
                                            product=product, action=action, environment_ref=ref)
        if ref_errors:
            errors["environment_ref"] = ref_errors
    return ref


def justification_check(errors: dict[str, Any], *, justification: str) -> str:
    """The justification, stripped: required, at most ``JUSTIFICATION_MAX`` characters."""
    text = (justification or "").strip()
    if not text:
        errors["justification"] = ["Explain why you need this environment."]
    elif len(text) > JUSTIFICATION_MAX:
        errors["justification"] = [f"At most {JUSTIFICATION_MAX} characters."]
    return text


def lease_days_check(errors: dict[str, Any], *, action: str, value: Any, product: Product,
                     project: Project | None) -> int | None:
    """The lease a create (default: the terms' default) or an extend (required) asks for, in
    days, within the terms' maximum; other actions carry none."""
    if action not in (Request.Action.CREATE, Request.Action.EXTEND):
        return None
    terms = lease_terms(product=product, project=project)
    if value is None or str(value).strip() == "":
        if action == Request.Action.CREATE:
            return terms.default_days
        errors["lease_days"] = ["Say by how many days to extend the lease."]
        return None
    try:
        days = int(str(value).strip())
    except ValueError:
        errors["lease_days"] = ["A whole number of days."]
        return None
    if not 1 <= days <= terms.max_days:
        why = f" ({terms.cap_reason})" if terms.cap_reason else ""
        errors["lease_days"] = [f"Between 1 and {terms.max_days} days{why}."]
        return None
    return days


def name_check(errors: dict[str, Any], *, project: Project, product: Product,
               version: ProductVersion, action: str, values: Mapping[str, Any]) -> None:
    """Refuse a resource name a live environment or request holds, under the name's parameter
    (``approvals.services.names``); run again under the project's lock when storing."""
    taken = resource_name_errors(project=project, product=product, version=version,
                                 action=action, values=values)
    if taken:
        errors["parameters"] = {**errors.get("parameters", {}), **taken}


def parameters_in_account(*, version: ProductVersion, project: Project | None
                          ) -> list[EffectiveParameter] | None:
    """The parameters a request is validated against: AWS-typed ones (subnet, VPC, security
    group, KMS key) must name resources of the project's account, read as the product page and
    the request form read them; without a project (already refused) only their format counts."""
    return None if project is None else parameters_for_project(version=version, project=project)


def identity_kept(errors: dict[str, Any], *, requester: User, version: ProductVersion,
                  action: str, ref: str | None, parameters: Mapping[str, Any]
                  ) -> tuple[Mapping[str, Any], dict[str, list[str]]]:
    """For a change of a valid environment: the values with its identity parameters (names,
    which AWS cannot change in place) kept from the environment, and the refusals of attempts
    to change them. Anything else: the values as given."""
    if action != Request.Action.UPDATE or ref is None or "environment_ref" in errors:
        return parameters, {}
    effective = parameters_effective(version=version_for_form(version=version))
    return change_identity_keep(
        requester=requester, environment_ref=ref, values=parameters,
        kept=[p.key for p in effective if p.on_change == ON_CHANGE_KEEP],
        secret=[p.key for p in effective if p.no_echo and not p.hidden])


def parameters_check(errors: dict[str, Any], *, requester: User, product: Product,
                     project: Project | None, version: ProductVersion | None, action: str,
                     ref: str | None, parameters: Any) -> dict[str, str]:
    """The parameter values as stored (validated against the version and the project's
    account, a change's identity kept, the name free); a terminate or an extension has none."""
    if version is None or action in (Request.Action.TERMINATE, Request.Action.EXTEND):
        return {}
    if not isinstance(parameters, Mapping):
        errors["parameters"] = {"__all__": ["Parameters must be an object of key/value."]}
        return {}
    parameters, identity_errors = identity_kept(errors, requester=requester, version=version,
                                                action=action, ref=ref, parameters=parameters)
    values: dict[str, str] = {}
    try:
        form_version = version_for_form(version=version)
        values = parameters_validate(
            version=form_version, values=parameters,
            parameters=parameters_in_account(version=form_version, project=project))
    except ValidationError as exc:
        errors["parameters"] = exc.message_dict
    if identity_errors:
        errors["parameters"] = {**errors.get("parameters", {}), **identity_errors}
    if "parameters" not in errors and project is not None:
        name_check(errors, project=project, product=product, version=version, action=action,
                   values=values)
    return values


def tags_check(errors: dict[str, Any], *, product: Product, action: str,
               tag_choices: Mapping[str, Any] | None) -> dict[str, str]:
    """The TagOption values chosen, each one the product offers; an extension changes nothing
    in AWS, so it has no tags to choose (the environment keeps its own)."""
    if action == Request.Action.EXTEND:
        return {}
    tags, tag_errors = tag_choices_validate(product=product, choices=tag_choices or {})
    if tag_errors:
        errors["tag_choices"] = tag_errors
    return tags


def request_validate(*, requester: User, project_slug: str, product_id: int | str,
                     parameters: Any, justification: str, version_id: int | None,
                     tag_choices: Mapping[str, Any] | None, action: str,
                     environment_ref: str | None, lease_days: Any) -> RequestDraft:
    """Every field's check, in the form's order, each refusal in ``errors``. A product the
    requester may not see raises Http404 (as its page does)."""
    product = product_for_user(user=requester, pk=product_id)
    errors: dict[str, Any] = {}
    project = project_pick(errors, requester=requester, product=product,
                           project_slug=project_slug)
    version = version_pick(product=product, version_id=version_id)
    if version is None:
        errors["version"] = ["This version cannot be requested."]
    ref = environment_ref_check(errors, requester=requester, project=project, product=product,
                                action=action, environment_ref=environment_ref)
    text = justification_check(errors, justification=justification)
    lease = lease_days_check(errors, action=action, value=lease_days, product=product,
                             project=project)
    values = parameters_check(errors, requester=requester, product=product, project=project,
                              version=version, action=action, ref=ref, parameters=parameters)
    tags = tags_check(errors, product=product, action=action, tag_choices=tag_choices)
    return RequestDraft(product=product, project=project, version=version,
                        environment_ref=ref, justification=text, lease_days=lease,
                        values=values, tags=tags, errors=errors)
