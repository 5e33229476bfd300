"""Creating a request: validate everything, write nothing unless all of it is valid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
    environment_name_for,
)
from approvals.services.idempotency import (
    fingerprint_fields,
    idempotency_key_clean,
    request_fingerprint,
    request_for_key,
)
from approvals.services.names import resource_name
from approvals.services.validate import RequestDraft, name_check, request_validate
from approvals.services.workflow import workflow_advance
from catalog.selectors import (
    cost_estimate,
)
from portal.models import Project, User
from portal.sealing import parameters_seal
from portal.services import audit_record

MASK = "****"


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
    ``RequestInvalid`` with every field's errors (``approvals.services.validate``). Nothing is
    written unless all of it is valid. A day-2 request (update, terminate) must name an
    environment of the requester's, in the project, not terminated, running the product named. A
    new environment may not take the name of a live one (``approvals.services.names``).
    """
    draft = request_validate(
        requester=requester, project_slug=project_slug, product_id=product_id,
        parameters=parameters, justification=justification, version_id=version_id,
        tag_choices=tag_choices, action=action, environment_ref=environment_ref,
        lease_days=lease_days)
    if draft.errors:
        raise RequestInvalid(draft.errors)
    assert draft.project is not None and draft.version is not None
    name = request_name(requester=requester, draft=draft)
    estimate = cost_estimate(region=draft.project.aws_region, parameters=draft.values,
                             product=draft.product)
    with transaction.atomic():
        # Two creates in one project are serialised here, and the name checked again under the
        # lock, so two simultaneous submits cannot both take one name (PostgreSQL row lock;
        # SQLite has one writer at a time).
        Project.objects.select_for_update().filter(pk=draft.project.pk).first()
        reviews = _checks_under_lock(requester=requester, action=action, draft=draft)
        request = Request(
            requester=requester, project=draft.project, product=draft.product,
            version=draft.version, action=action, environment_ref=draft.environment_ref,
            name=name[:128], justification=draft.justification, lease_days=draft.lease_days,
            parameters=parameters_sealed(version=draft.version, values=draft.values),
            tag_choices=draft.tags, idempotency_key=idempotency_key,
            estimated_monthly_cost=estimate.usd_per_month if estimate else None,
            extra_review="\n".join(reviews), idempotency_fingerprint=idempotency_fingerprint,
        )
        _request_store(request, http_request=http_request)
    return request


def request_name(*, requester: User, draft: RequestDraft) -> str:
    """The name people will know the request by: a change's environment's name, else the
    resource name its values give (empty when the product has none)."""
    if draft.environment_ref is not None:
        return environment_name_for(requester=requester, environment_ref=draft.environment_ref)
    assert draft.version is not None
    named = resource_name(product=draft.product, version=draft.version, values=draft.values)
    return named[1] if named is not None else ""


def _checks_under_lock(*, requester: User, action: str, draft: RequestDraft) -> list[str]:
    """Under the project's lock: the name again, and the registered checks (quotas), which
    count what is asked for; ``RequestInvalid`` when one refuses. Returns the reasons for an
    extra review the registered reviewers give."""
    assert draft.project is not None and draft.version is not None
    errors: dict[str, Any] = {}
    name_check(errors, project=draft.project, product=draft.product, version=draft.version,
               action=action, values=draft.values)
    to_check = RequestToCheck(
        requester=requester, project=draft.project, product=draft.product,
        version=draft.version, action=action, environment_ref=draft.environment_ref,
        values=draft.values, lease_days=draft.lease_days)
    limits = request_check_errors(to_check)
    if limits:
        errors[ERRORS_KEY] = limits
    if errors:
        raise RequestInvalid(errors)
    return request_review_reasons(to_check)


def _request_store(request: Request, *, http_request: HttpRequest | None) -> None:
    """Save a new request with its matched rule, audit and announce it, make a
    change's plan and start its workflow; the caller's transaction holds the project lock."""
    request.matched_rule = rule_for_request(request=request)
    request.save()
    requester, product = request.requester, request.product
    audit_record(
        action="request.created", actor=requester, request=http_request, obj=request,
        project=request.project,
        data={"reference": request.reference, "name": request.name,
              "product": product.name, "version": request.version.name,
              "action": request.action, "parameters": parameters_masked(request=request),
              "tag_choices": request.tag_choices,
              "estimated_monthly_cost": _money(request.estimated_monthly_cost),
              "rule": request.matched_rule.name if request.matched_rule else None,
              "lease_days": request.lease_days,
              "idempotency_key": request.idempotency_key},
    )
    notify(request=request, recipients=[requester], subject=f"Request submitted: {product}",
           lines=["Your request was submitted.", describe(request)])
    request_opened(request=request)  # a change request's plan is made (provisioning)
    workflow_advance(request=request, next_position=0, actor=requester,
                     http_request=http_request)


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
