"""Finding what an environment's provisioned product created, whatever its template outputs.

Real products rarely output exactly ``NotebookInstanceName``: some output only the resource's ARN
(CloudFormation's ``Ref`` of an ``AWS::SageMaker::NotebookInstance`` or ``::UserProfile`` is its
ARN), a console URL, only the domain id, or nothing. The portal looks, in this order, at

1. ``mapping``: the admin's output mapping of the product (``Product.output_mapping``, by default
   ``catalog.models.OUTPUT_FIELDS``);
2. ``outputs``: any other output holding the resource's ARN or a well-known key;
3. ``parameters``: the values the portal itself sent, kept only when the resource they name
   carries this environment's tags (a parameter may name something the template did not create);
4. ``stack``: the physical resources of the provisioned product's stack (CloudFormation
   ListStackResources of the record's ``CloudformationStackARN`` output);
5. ``tags``: the resources tagged ``portal-environment=<id>`` or
   ``aws:servicecatalog:provisionedProductArn=<this provisioned product>`` (Tagging API).

The first source that completes the identifiers wins and is recorded on the environment. A
resource is never adopted unless it is provably this environment's: outputs and the stack are its
own, anything else must carry its tags. SageMaker lower-cases names in ARNs, so a name read from
an ARN is replaced by the real one from a Describe (or List) call whose ARN matches.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar, runtime_checkable

from catalog.findability import FIELD_KEYS, KIND_FIELDS
from catalog.models import OUTPUT_FIELDS, Product
from provisioning.backends import BackendError, NotFound, backend_for
from provisioning.models import RESOLUTION_SOURCES, Environment
from provisioning.names import name_parameter_filled

logger = logging.getLogger(__name__)
T = TypeVar("T")

ENVIRONMENT_TAG = "portal-environment"
PROVISIONED_PRODUCT_TAG = "aws:servicecatalog:provisionedProductArn"
STACK_OUTPUT = "CloudformationStackARN"  # added by Service Catalog to every record's outputs

_ARN = r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:"
NOTEBOOK_ARN = re.compile(_ARN + r"notebook-instance/(?P<name>[^/\s]+)$", re.IGNORECASE)
PROFILE_ARN = re.compile(_ARN + r"user-profile/(?P<domain>d-[a-z0-9]+)/(?P<name>[^/\s]+)$",
                         re.IGNORECASE)
SOURCES = tuple(RESOLUTION_SOURCES)  # in the order they are tried


@dataclass(frozen=True)
class Found:
    """The identifiers of an environment's resource, and which source completed them."""

    notebook_instance_name: str = ""
    domain_id: str = ""
    user_profile_name: str = ""
    project_name: str = ""
    project_id: str = ""
    source: str = ""


@runtime_checkable
class ResourceFinder(Protocol):
    """The calls resolution needs (``provisioning.backends.aws.AwsBackend`` has them)."""

    def notebook_describe(self, *, notebook_name: str) -> tuple[str, str]: ...

    def notebooks_list(self, *, name_contains: str = "") -> list[tuple[str, str]]: ...

    def user_profile_describe(self, *, domain_id: str, user_profile_name: str
                              ) -> tuple[str, str, str]: ...

    def user_profile_names(self, *, domain_id: str) -> list[str]: ...

    def resource_tags(self, *, arn: str) -> dict[str, str]: ...

    def stack_resources(self, *, stack: str) -> list[tuple[str, str, str]]: ...

    def tagged_resources(self, *, key: str, value: str = "",
                         resource_types: Sequence[str] = ()) -> list[tuple[str, dict[str, str]]]:
        ...


def _complete(kind: str, found: Found) -> bool:
    if kind == Product.Kind.NOTEBOOK_INSTANCE:
        return bool(found.notebook_instance_name)
    if kind == Product.Kind.STUDIO_USER_PROFILE:
        return bool(found.domain_id and found.user_profile_name)
    if kind == Product.Kind.SAGEMAKER_PROJECT:
        return bool(found.project_name)
    return True


def _merge(found: Found, **values: str) -> Found:
    """Fill only the identifiers still missing (an earlier source wins)."""
    fill = {k: v for k, v in values.items() if v and not getattr(found, k)}
    return replace(found, **fill) if fill else found


def _from_value(kind: str, value: str) -> dict[str, str]:
    """Identifiers an ARN value carries (names lower-cased by SageMaker, fixed later)."""
    if kind == Product.Kind.NOTEBOOK_INSTANCE and (match := NOTEBOOK_ARN.match(value)):
        return {"notebook_instance_name": match["name"]}
    if kind == Product.Kind.STUDIO_USER_PROFILE and (match := PROFILE_ARN.match(value)):
        return {"domain_id": match["domain"], "user_profile_name": match["name"]}
    return {}


def _by_keys(kind: str, values: Mapping[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for field in KIND_FIELDS.get(kind, ()):
        for key, value in values.items():
            if value and FIELD_KEYS[field].match(key) and not _from_value(kind, value):
                found.setdefault(field, str(value))
    return found


def from_mapping(*, kind: str, mapping: Mapping[str, str], outputs: Mapping[str, str]
                 ) -> dict[str, str]:
    """What the admin's mapping (field → output key) points at; an ARN value is parsed."""
    found: dict[str, str] = {}
    for field, key in (mapping or OUTPUT_FIELDS.get(kind) or {}).items():
        value = str(outputs.get(key) or "")
        if field not in FIELD_KEYS or not value:
            continue
        parsed = _from_value(kind, value)
        found.update({k: v for k, v in parsed.items() if k not in found} if parsed
                     else {field: value})
    return found


def from_outputs(*, kind: str, outputs: Mapping[str, str]) -> dict[str, str]:
    """ARNs of the kind's resource in any output, then well-known keys."""
    found: dict[str, str] = {}
    for value in outputs.values():
        for field, parsed in _from_value(kind, str(value)).items():
            found.setdefault(field, parsed)
    for field, value in _by_keys(kind, outputs).items():
        found.setdefault(field, value)
    return found


def sent_parameters(environment: Environment) -> dict[str, str]:
    """The parameter values the portal sent, including the names it fills in itself (the rule is
    ``provisioning.names.name_parameter_filled``, the same one provisioning sends)."""
    sent = name_parameter_filled(environment, {
        str(k): str(v or "") for k, v in (environment.parameters or {}).items()})
    if environment.product.kind == Product.Kind.SAGEMAKER_PROJECT:
        sent["SageMakerProjectName"] = environment.sagemaker_project_name
        sent["SageMakerProjectId"] = environment.sagemaker_project_id
    return sent


def _ours(environment: Environment, tags: Mapping[str, str]) -> bool:
    """The resource carries this environment's tag or this provisioned product's tag."""
    if tags.get(ENVIRONMENT_TAG) == str(environment.pk):
        return True
    pp_id = environment.provisioned_product_id
    return bool(pp_id) and tags.get(PROVISIONED_PRODUCT_TAG, "").endswith(f"/{pp_id}")


class _Lookup:
    """The AWS side of resolution for one environment; every call failure means "not found"."""

    def __init__(self, environment: Environment, finder: ResourceFinder) -> None:
        self.environment = environment
        self.finder = finder

    def _safe(self, call: Callable[[], T]) -> T | None:
        try:
            return call()
        except NotFound:
            return None
        except BackendError as exc:  # access denied, throttled: this source is unavailable
            logger.info("Resolution of environment %s: %s", self.environment.pk, exc)
            return None

    def notebook(self, name: str) -> tuple[str, str]:
        """(real name, ARN) of the notebook called ``name`` in any case (ARNs lower-case it)."""
        described = self._safe(lambda: self.finder.notebook_describe(notebook_name=name))
        if described:
            return described
        for real, arn in self._safe(lambda: self.finder.notebooks_list()) or []:
            if real.lower() == name.lower():
                return real, arn
        return "", ""

    def profile(self, domain_id: str, name: str) -> tuple[str, str]:
        """(real name, ARN) of the domain's profile called ``name`` in any case."""
        described = self._safe(lambda: self.finder.user_profile_describe(
            domain_id=domain_id, user_profile_name=name))
        if described:
            return described[1], described[2]
        for real in self._safe(lambda: self.finder.user_profile_names(domain_id=domain_id)) or []:
            if real.lower() == name.lower():
                described = self._safe(lambda: self.finder.user_profile_describe(
                    domain_id=domain_id, user_profile_name=real))  # noqa: B023
                if described:
                    return described[1], described[2]
        return "", ""

    def tagged_ours(self, arn: str) -> bool:
        return _ours(self.environment, self._safe(lambda: self.finder.resource_tags(arn=arn)) or {})

    def stack_arns(self, outputs: Mapping[str, str]) -> list[str]:
        """Physical ids (ARNs) of the SageMaker notebooks/profiles in the record's stack."""
        stack = str(outputs.get(STACK_OUTPUT) or "")
        if not stack:
            return []
        resources = self._safe(lambda: self.finder.stack_resources(stack=stack)) or []
        return [physical for _, physical, type_ in resources
                if type_ in ("AWS::SageMaker::NotebookInstance", "AWS::SageMaker::UserProfile")]

    def tagged_arns(self) -> list[str]:
        """ARNs of the notebooks/profiles tagged with this environment or provisioned product."""
        types = ["sagemaker:notebook-instance", "sagemaker:user-profile"]
        tagged = self._safe(lambda: self.finder.tagged_resources(
            key=ENVIRONMENT_TAG, value=str(self.environment.pk), resource_types=types)) or []
        if not tagged and self.environment.provisioned_product_id:
            tagged = [(arn, tags) for arn, tags in self._safe(
                lambda: self.finder.tagged_resources(key=PROVISIONED_PRODUCT_TAG,
                                                     resource_types=types)) or []
                      if _ours(self.environment, {PROVISIONED_PRODUCT_TAG: tags.get(
                          PROVISIONED_PRODUCT_TAG, "")})]
        return [arn for arn, _ in tagged]


def _real_names(kind: str, found: Found, lookup: _Lookup | None, *, verify: bool) -> Found:
    """Replace names read from ARNs (lower-cased) by the real ones; with ``verify``, keep the
    resource only if it carries this environment's tags. Returns an empty Found if refused."""
    if lookup is None:
        return Found() if verify else found
    if kind == Product.Kind.NOTEBOOK_INSTANCE:
        name, arn = lookup.notebook(found.notebook_instance_name)
        if not name:
            return Found() if verify else found
        if verify and not lookup.tagged_ours(arn):
            return Found()
        return replace(found, notebook_instance_name=name)
    if kind == Product.Kind.STUDIO_USER_PROFILE:
        name, arn = lookup.profile(found.domain_id, found.user_profile_name)
        if not name:
            return Found() if verify else found
        if verify and not lookup.tagged_ours(arn):
            return Found()
        return replace(found, user_profile_name=name)
    return found


def environment_resource_find(*, environment: Environment, outputs: Mapping[str, str],
                              finder: ResourceFinder | None) -> Found:
    """The identifiers of what ``environment`` provisioned, and the source that gave them.

    ``finder`` None (no AWS at hand): only the outputs are read, nothing is verified.
    """
    kind = environment.product.kind
    if kind not in KIND_FIELDS:
        return Found()
    lookup = _Lookup(environment, finder) if finder is not None else None
    found = Found()
    steps: list[tuple[str, dict[str, str]]] = [
        ("mapping", from_mapping(kind=kind, mapping=environment.product.output_mapping,
                                 outputs=outputs)),
        ("outputs", from_outputs(kind=kind, outputs=outputs)),
    ]
    for source, values in steps:
        found = _merge(found, **values)
        if _complete(kind, found):
            return replace(_real_names(kind, found, lookup, verify=False), source=source)
    # The portal's own parameters: adopted only if the resource is provably this environment's.
    candidate = _merge(found, **_by_keys(kind, sent_parameters(environment)))
    if _complete(kind, candidate):
        if kind == Product.Kind.SAGEMAKER_PROJECT:  # the name the portal gave CreateProject
            return replace(candidate, source="parameters")
        checked = _real_names(kind, candidate, lookup, verify=True)
        if _complete(kind, checked):
            return replace(checked, source="parameters")
    if lookup is None or kind == Product.Kind.SAGEMAKER_PROJECT:
        return found
    listings: tuple[tuple[str, Callable[[], list[str]]], ...] = (
        ("stack", lambda: lookup.stack_arns(outputs)), ("tags", lookup.tagged_arns))
    for source, arns_of in listings:
        arns = arns_of()
        matches = [values for arn in arns if (values := _from_value(kind, arn))]
        if len(matches) != 1:  # none, or several: never guess which one is the environment's
            continue
        resolved = _real_names(kind, _merge(Found(), **matches[0]), lookup, verify=False)
        return replace(resolved, source=source)
    return found


def environment_resource_lookup(*, environment: Environment, outputs: Mapping[str, str]) -> Found:
    """``environment_resource_find`` with AWS at hand: the portal's own session in the project
    account (call it outside any lock). If the account cannot be reached, only the outputs are
    read."""
    try:
        backend = backend_for(environment.project)
        finder = backend if isinstance(backend, ResourceFinder) else None
        return environment_resource_find(environment=environment, outputs=outputs,
                                         finder=finder)
    except BackendError as exc:  # e.g. the role could not be assumed
        logger.warning("Finding the resource of environment %s: %s", environment.pk, exc)
        return environment_resource_find(environment=environment, outputs=outputs, finder=None)
