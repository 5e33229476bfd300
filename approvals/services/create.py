"""Creating a request: validate everything, write nothing unless all of it is valid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from approvals.change_preview import request_opened
from approvals.errors import RequestInvalid
from approvals.models import Request
from approvals.notifications import describe, notify
from approvals.policies import rule_for_request
from approvals.services.checks import (
    ERRORS_KEY,
    RequestToCheck,
    request_check_errors,
    request_review_reasons,
)
from approvals.services.environments import (
    change_identity_keep,
    environment_name_for,
    environment_ref_errors,
)
from approvals.services.idempotency import (
    fingerprint_fields,
    idempotency_key_clean,
    request_fingerprint,
    request_for_key,
)
from approvals.services.names import resource_name, resource_name_errors
from approvals.services.workflow import workflow_advance
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
    cost_estimate,
    product_for_user,
    projects_for_product,
    version_for_form,
    version_requested_or_default,
    versions_requestable,
)
from portal.models import Project, User
from portal.sealing import parameters_seal
from portal.selectors import projects_for_user
from portal.services import audit_record

JUSTIFICATION_MAX = 4000
MASK = "****"

def _version_pick(*, product: Product, version_id: int | None) -> ProductVersion | None:
    return version_requested_or_default(
        product=product, versions=versions_requestable(product=product), requested=version_id)


def _action_errors(*, action: str, environment_ref: str | None) -> list[str] | None:
    """The field and message of a bad action/environment pairing (None when it is fine)."""
    if action == Request.Action.CREATE and environment_ref:
        return ["A new environment has no environment reference."]
    if action != Request.Action.CREATE and not (environment_ref or "").strip():
        return ["Say which environment this request is about."]
    return None


@dataclass(frozen=True)
class RequestSubmitted:
    """What a submit gave: the request, and whether this submit created it (False: a repeat
    with the same idempotency key got the request the first one made)."""

    request: Request
    created: bool


def request_create(
    *,
    requester: User,
    project_slug: str,
    product_id: int | str,
    parameters: Mapping[str, Any],
    justification: str,
    version_id: int | None = None,
    tag_choices: Mapping[str, Any] | None = None,
    action: str = Request.Action.CREATE,
    environment_ref: str | None = None,
    lease_days: Any = None,
    http_request: HttpRequest | None = None,
) -> Request:
    """Validate a request completely, then store it and start its workflow (no idempotency key:
    see ``request_submit``)."""
    return request_submit(
        requester=requester, project_slug=project_slug, product_id=product_id,
        parameters=parameters, justification=justification, version_id=version_id,
        tag_choices=tag_choices, action=action, environment_ref=environment_ref,
        lease_days=lease_days, http_request=http_request,
    ).request


def request_submit(
    *,
    requester: User,
    project_slug: str,
    product_id: int | str,
    parameters: Mapping[str, Any],
    justification: str,
    version_id: int | None = None,
    tag_choices: Mapping[str, Any] | None = None,
    action: str = Request.Action.CREATE,
    environment_ref: str | None = None,
    lease_days: Any = None,
    idempotency_key: str = "",
    http_request: HttpRequest | None = None,
) -> RequestSubmitted:
    """Create a request once per idempotency key (``approvals.services.idempotency``).

    Without a key every submit is a new request. With one, a repeat by the same requester with
    the same input returns the request the first submit made (``created=False``) and a repeat
    with other input raises ``IdempotencyKeyReused``; two simultaneous submits with one key
    store one request (the database's unique constraint decides; the loser reads the winner's).
    """
    key = idempotency_key_clean(idempotency_key)
    fingerprint = request_fingerprint(**fingerprint_fields(
        project_slug=project_slug, product_id=product_id, version_id=version_id, action=action,
        environment_ref=environment_ref, parameters=parameters, tag_choices=tag_choices,
        justification=justification, lease_days=lease_days)) if key else ""
    if key:
        existing = request_for_key(requester=requester, idempotency_key=key,
                                   fingerprint=fingerprint)
        if existing is not None:
            return _repeated(existing=existing, http_request=http_request)
    try:
        created = _request_create(
            requester=requester, project_slug=project_slug, product_id=product_id,
            parameters=parameters, justification=justification, version_id=version_id,
            tag_choices=tag_choices, action=action, environment_ref=environment_ref,
            lease_days=lease_days, idempotency_key=key, idempotency_fingerprint=fingerprint,
            http_request=http_request,
        )
    except (IntegrityError, RequestInvalid):
        # The other submit with this key committed after our look-up: our insert broke the
        # unique constraint, or our name check found the name taken (by that very request).
        # Ours was rolled back whole (request, audit, notification, tasks); answer with theirs.
        if not key:
            raise
        existing = request_for_key(requester=requester, idempotency_key=key,
                                   fingerprint=fingerprint)
        if existing is None:
            raise
        return _repeated(existing=existing, http_request=http_request)
    return RequestSubmitted(request=created, created=True)


def _repeated(*, existing: Request, http_request: HttpRequest | None) -> RequestSubmitted:
    audit_record(action="request.submit_repeated", actor=existing.requester,
                 request=http_request, obj=existing, project=existing.project,
                 data={"idempotency_key": existing.idempotency_key})
    return RequestSubmitted(request=existing, created=False)


def _request_create(
    *,
    requester: User,
    project_slug: str,
    product_id: int | str,
    parameters: Mapping[str, Any],
    justification: str,
    version_id: int | None,
    tag_choices: Mapping[str, Any] | None,
    action: str,
    environment_ref: str | None,
    lease_days: Any,
    idempotency_key: str,
    idempotency_fingerprint: str,
    http_request: HttpRequest | None,
) -> Request:
    """Validate a request completely, then store it and start its workflow.

    A product the requester may not see raises Http404; any other bad input raises
    ``RequestInvalid`` with every field's errors. Nothing is written unless all of it is valid.
    A day-2 request (update, terminate) must name an environment of the requester's, in the
    project, not terminated, running the product named. A new environment may not take the name
    of a live one (``approvals.services.names``).
    """
    product = product_for_user(user=requester, pk=product_id)
    errors: dict[str, Any] = {}

    project = projects_for_user(user=requester).filter(slug=project_slug).first()
    if project is None:
        errors["project"] = ["You are not a member of this project."]
    elif not projects_for_product(user=requester, product=product).filter(pk=project.pk).exists():
        errors["project"] = ["This product cannot be provisioned in this project's AWS account "
                             "and region."]

    version = _version_pick(product=product, version_id=version_id)
    if version is None:
        errors["version"] = ["This version cannot be requested."]

    ref = (environment_ref or "").strip() or None
    if action not in Request.Action.values:
        errors["action"] = ["Choose one of: " + ", ".join(Request.Action.values) + "."]
    elif (pairing := _action_errors(action=action, environment_ref=environment_ref)) is not None:
        errors["environment_ref"] = pairing
    elif ref is not None and project is not None:
        ref_errors = environment_ref_errors(requester=requester, project=project,
                                            product=product, action=action, environment_ref=ref)
        if ref_errors:
            errors["environment_ref"] = ref_errors

    text = (justification or "").strip()
    if not text:
        errors["justification"] = ["Explain why you need this environment."]
    elif len(text) > JUSTIFICATION_MAX:
        errors["justification"] = [f"At most {JUSTIFICATION_MAX} characters."]

    lease = _lease_days(errors, action=action, value=lease_days, product=product,
                        project=project)

    values: dict[str, str] = {}
    if version is not None and action not in (Request.Action.TERMINATE, Request.Action.EXTEND):
        if not isinstance(parameters, Mapping):
            errors["parameters"] = {"__all__": ["Parameters must be an object of key/value."]}
        else:
            identity_errors: dict[str, list[str]] = {}
            if action == Request.Action.UPDATE and ref is not None \
                    and "environment_ref" not in errors:
                effective = parameters_effective(version=version_for_form(version=version))
                parameters, identity_errors = change_identity_keep(
                    requester=requester, environment_ref=ref, values=parameters,
                    kept=[p.key for p in effective if p.on_change == ON_CHANGE_KEEP],
                    secret=[p.key for p in effective if p.no_echo and not p.hidden])
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
                _name_check(errors, project=project, product=product, version=version,
                            action=action, values=values)

    # An extension changes nothing in AWS: no tags to choose (the environment keeps its own).
    tags, tag_errors = ({}, {}) if action == Request.Action.EXTEND else tag_choices_validate(
        product=product, choices=tag_choices or {})
    if tag_errors:
        errors["tag_choices"] = tag_errors

    if errors:
        raise RequestInvalid(errors)
    assert project is not None and version is not None

    estimate = cost_estimate(region=project.aws_region, parameters=values, product=product)
    if ref is not None:
        name = environment_name_for(requester=requester, environment_ref=ref)
    else:
        named = resource_name(product=product, version=version, values=values)
        name = named[1] if named is not None else ""
    with transaction.atomic():
        # Two creates in one project are serialised here, and the name checked again under the
        # lock, so two simultaneous submits cannot both take one name (PostgreSQL row lock;
        # SQLite has one writer at a time).
        Project.objects.select_for_update().filter(pk=project.pk).first()
        _name_check(errors, project=project, product=product, version=version, action=action,
                    values=values)
        # Registered checks (quotas) count what is asked for under the same lock.
        to_check = RequestToCheck(
            requester=requester, project=project, product=product, version=version,
            action=action, environment_ref=ref, values=values, lease_days=lease)
        limits = request_check_errors(to_check)
        if limits:
            errors[ERRORS_KEY] = limits
        if errors:
            raise RequestInvalid(errors)
        reviews = request_review_reasons(to_check)
        request = Request(
            requester=requester, project=project, product=product, version=version, action=action,
            environment_ref=ref, name=name[:128],
            parameters=parameters_sealed(version=version, values=values),
            tag_choices=tags, justification=text,
            estimated_monthly_cost=estimate.usd_per_month if estimate else None,
            lease_days=lease, idempotency_key=idempotency_key, extra_review="\n".join(reviews),
            idempotency_fingerprint=idempotency_fingerprint,
        )
        request.matched_rule = rule_for_request(request=request)
        request.save()
        audit_record(
            action="request.created", actor=requester, request=http_request, obj=request,
            project=project,
            data={"reference": request.reference, "name": request.name,
                  "product": product.name, "version": version.name, "action": action,
                  "parameters": parameters_masked(request=request), "tag_choices": tags,
                  "estimated_monthly_cost": _money(request.estimated_monthly_cost),
                  "rule": request.matched_rule.name if request.matched_rule else None,
                  "lease_days": lease,
                  "idempotency_key": idempotency_key},
        )
        notify(request=request, recipients=[requester], subject=f"Request submitted: {product}",
               lines=["Your request was submitted.", describe(request)])
        request_opened(request=request)  # a change request's plan is made (provisioning)
        workflow_advance(request=request, next_position=0, actor=requester,
                         http_request=http_request)
    return request


def _lease_days(errors: dict[str, Any], *, action: str, value: Any, product: Product,
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


def _name_check(errors: dict[str, Any], *, project: Project, product: Product,
                version: ProductVersion, action: str, values: Mapping[str, Any]) -> None:
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


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


def parameters_sealed(*, version: Any, values: dict[str, str]) -> dict[str, str]:
    """``values`` as stored: NoEcho values sealed (encrypted), opened only in the AWS call."""
    secret = version.parameters.filter(no_echo=True).values_list("key", flat=True)
    return parameters_seal(values=values, secret_keys=secret)


def parameters_masked(*, request: Request) -> dict[str, str]:
    """The request's parameters as the audit trail and the API show them: NoEcho values masked."""
    secret = set(request.version.parameters.filter(no_echo=True).values_list("key", flat=True))
    return {k: (MASK if k in secret else v) for k, v in (request.parameters or {}).items()}
