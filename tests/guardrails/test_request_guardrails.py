"""Request time: each guardrail refuses a request that breaks it with a message naming the rule,
the value and what is allowed; nothing is written; the API answers 400 and the form shows it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from approvals.errors import RequestInvalid
from approvals.models import Request
from approvals.services import request_create
from catalog.models import ParameterOverride, Product
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import make_environment
from tests.guardrails.conftest import (
    GROUP,
    OTHER_GROUP,
    OTHER_SUBNET,
    STRICT,
    put_in_force,
    safe_values,
)

pytestmark = pytest.mark.django_db


def ask(requester: User, project: Project, product: Product, values: dict[str, str],
        **extra: Any) -> Request:
    return request_create(
        requester=requester, project_slug=project.slug, product_id=product.pk,
        parameters={"NotebookInstanceName": f"dana-{uuid.uuid4().hex[:8]}", **values},
        tag_choices={"data-classification": "confidential"},
        justification="Train the fraud model.", **extra)


def refused(requester: User, project: Project, product: Product, values: dict[str, str],
            **extra: Any) -> list[str]:
    before = (Request.objects.count(), AuditEvent.objects.count())
    with pytest.raises(RequestInvalid) as caught:
        ask(requester, project, product, values, **extra)
    assert (Request.objects.count(), AuditEvent.objects.count()) == before  # nothing written
    return list(caught.value.errors["limits"])


def test_values_every_rule_allows_pass(scientist: User, project: Project, governed: Product,
                                       platform_admin: User) -> None:
    put_in_force(platform_admin, **STRICT)
    created = ask(scientist, project, governed, safe_values())
    assert Request.objects.get() == created


@pytest.mark.parametrize(("change", "rule", "value", "allowed"), [
    ({"InstanceType": "ml.p3.2xlarge"}, "allowed instance types in dev projects",
     "InstanceType = “ml.p3.2xlarge”", "one of ml.t3.medium, ml.m5.xlarge"),
    ({"RootAccess": "Enabled"}, "root access disabled", "RootAccess = “Enabled”", "Disabled"),
    ({"DirectInternetAccess": "Enabled"}, "direct internet access disabled",
     "DirectInternetAccess = “Enabled”", "Disabled"),
    ({"SubnetId": OTHER_SUBNET}, "subnet within the allowed set",
     f"SubnetId = “{OTHER_SUBNET}”", "one of subnet-0123456789abcdef0"),
    ({"SubnetId": ""}, "subnet within the allowed set", "SubnetId = “”",
     "one of subnet-0123456789abcdef0"),
    ({"SecurityGroupIds": f"{GROUP},{OTHER_GROUP}"}, "security groups within the allowed set",
     f"SecurityGroupIds = “{OTHER_GROUP}”", f"one of {GROUP}"),
    ({"VolumeSizeInGB": "60"}, "volume size bounds", "VolumeSizeInGB = “60”",
     "from 10 to 50 GB"),
    ({"VolumeSizeInGB": "5"}, "volume size bounds", "VolumeSizeInGB = “5”", "from 10 to 50 GB"),
])
def test_each_rule_refuses_a_request_that_breaks_it(
        scientist: User, project: Project, governed: Product, platform_admin: User,
        change: dict[str, str], rule: str, value: str, allowed: str) -> None:
    put_in_force(platform_admin, **STRICT)
    [message] = refused(scientist, project, governed, safe_values(**change))
    assert message.startswith(f"Guardrail “{rule}” (version 1) refuses {value}; allowed: "
                              f"{allowed}.")
    assert "Ask a platform admin" in message


def test_a_kms_key_is_required(scientist: User, project: Project, governed: Product,
                               platform_admin: User) -> None:
    put_in_force(platform_admin, kms_key_required=True)
    ask(scientist, project, governed, safe_values())  # the curation fixes alias/ml-notebooks
    ParameterOverride.objects.filter(product=governed, key="KmsKeyId").update(fixed_value="")
    [message] = refused(scientist, project, governed, safe_values())
    assert message.startswith("Guardrail “KMS key required” (version 1) refuses KmsKeyId = “”; "
                              "allowed: a KMS key (id, key ARN or alias).")


def test_a_notebook_product_without_the_parameter_breaks_the_rule(
        scientist: User, project: Project, notebook: Product, platform_admin: User) -> None:
    put_in_force(platform_admin, root_access_disabled=True)
    [message] = refused(scientist, project, notebook, {"InstanceType": "ml.t3.medium"})
    assert "refuses RootAccess = “(not offered by the product: AWS's default applies)”" in message


def test_the_instance_types_of_the_product_kind_apply_too(
        scientist: User, project: Project, governed: Product, platform_admin: User) -> None:
    put_in_force(platform_admin, instance_types_by_kind={"notebook_instance": ("ml.m5.xlarge",)},
                 instance_types_by_environment={"prod": ("ml.t3.medium",)})
    [message] = refused(scientist, project, governed, safe_values("ml.t3.medium"))
    assert "“allowed instance types for notebook instance products”" in message
    ask(scientist, project, governed, safe_values("ml.m5.xlarge"))  # prod's rule: not for dev


def test_a_product_mapping_names_its_own_parameter_key(
        scientist: User, project: Project, governed: Product, platform_admin: User) -> None:
    put_in_force(platform_admin, volume_max_gb=30,
                 aliases={governed.product_id: {"VolumeSizeInGB": "InstanceType"}})
    # Mapped: the rule reads InstanceType as the volume (a silly mapping, but it shows the key).
    [message] = refused(scientist, project, governed, safe_values(VolumeSizeInGB="99"))
    assert "refuses InstanceType = “ml.t3.medium”; allowed: at most 30 GB" in message


def test_the_lease_is_capped_and_the_field_names_the_guardrail(
        scientist: User, project: Project, governed: Product, platform_admin: User) -> None:
    put_in_force(platform_admin, max_lease_days=10)
    with pytest.raises(RequestInvalid) as caught:
        ask(scientist, project, governed, safe_values(), lease_days=11)
    assert caught.value.errors["lease_days"] == [
        "Between 1 and 10 days (guardrail “maximum lease” (version 1))."]
    assert ask(scientist, project, governed, safe_values(), lease_days=10).lease_days == 10
    assert Request.objects.count() == 1


def test_an_extension_beyond_the_maximum_lease_is_refused(
        scientist: User, project: Project, governed: Product, platform_admin: User) -> None:
    environment = make_environment(scientist, project, governed)
    environment.expires_at = timezone.now() + timedelta(days=6, hours=1)
    environment.save(update_fields=["expires_at"])
    put_in_force(platform_admin, max_lease_days=10)
    with pytest.raises(RequestInvalid) as caught:
        request_create(requester=scientist, project_slug=project.slug, product_id=governed.pk,
                       action="extend", environment_ref=str(environment.pk), lease_days=4,
                       parameters={}, justification="More time")
    [message] = caught.value.errors["limits"]
    assert message.startswith("Guardrail “maximum lease” (version 1) refuses lease after the "
                              "extension = “11 days”; allowed: at most 10 days.")


def test_a_change_request_that_breaks_a_rule_is_refused(
        scientist: User, project: Project, governed: Product, platform_admin: User) -> None:
    environment = make_environment(scientist, project, governed)
    environment.notebook_instance_name = "dana-nb"
    environment.parameters = {"NotebookInstanceName": "dana-nb", **safe_values()}
    environment.save(update_fields=["parameters", "notebook_instance_name"])
    put_in_force(platform_admin, **STRICT)
    change = {"NotebookInstanceName": "dana-nb", **safe_values("ml.p3.2xlarge")}
    with pytest.raises(RequestInvalid) as caught:
        request_create(requester=scientist, project_slug=project.slug, product_id=governed.pk,
                       action="update", environment_ref=str(environment.pk), parameters=change,
                       tag_choices={"data-classification": "confidential"},
                       justification="Bigger")
    [message] = caught.value.errors["limits"]
    assert "refuses InstanceType = “ml.p3.2xlarge”" in message
    assert not Request.objects.filter(action="update").exists()


def test_the_api_answers_400_with_the_message(scientist: User, project: Project,
                                              governed: Product, platform_admin: User) -> None:
    put_in_force(platform_admin, **STRICT)
    api = APIClient()
    api.force_authenticate(scientist)
    response = api.post("/api/v1/requests", {
        "project": project.slug, "product": governed.pk,
        "parameters": {"NotebookInstanceName": "dana-nb", **safe_values(RootAccess="Enabled")},
        "tag_choices": {"data-classification": "internal"}, "justification": "Try"},
        format="json")
    assert response.status_code == 400, response.content
    [message] = response.json()["errors"]["limits"]
    assert message.startswith("Guardrail “root access disabled” (version 1) refuses RootAccess")
    assert not Request.objects.exists()


def test_without_any_version_nothing_is_refused(scientist: User, project: Project,
                                                governed: Product) -> None:
    ask(scientist, project, governed, safe_values("ml.p3.2xlarge", RootAccess="Enabled"))
    assert Request.objects.count() == 1


def test_the_form_shows_a_refusal_the_form_itself_cannot_see(
        client: Client, scientist: User, project: Project, governed: Product,
        platform_admin: User) -> None:
    # Nothing both the curation and the guardrail allow: the form keeps the curation's
    # choices, says so, and the refusal names the rule.
    put_in_force(platform_admin, instance_types_by_environment={"dev": ("ml.c5.large",)})
    client.force_login(scientist)
    response = client.post(f"/requests/new?product={governed.pk}", {
        "req-project": project.slug, "req-justification": "Train",
        "req-tag:data-classification": "confidential", "NotebookInstanceName": "dana-gpu",
        **safe_values()})
    body = response.content.decode()
    assert response.status_code == 400
    assert "none of these values is allowed" in body
    assert "Guardrail “allowed instance types in dev projects” (version 1) refuses " \
           "InstanceType = “ml.t3.medium”; allowed: one of ml.c5.large." in body.replace(
               "&ldquo;", "“").replace("&rdquo;", "”")
    assert not Request.objects.exists()
