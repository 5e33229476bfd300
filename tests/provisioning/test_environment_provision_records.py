"""What provisioning tells people: the audit trail, the timeline, AWS's refusal, the cost tag."""

from __future__ import annotations

from typing import Any

import pytest

from portal.models import AuditEvent, Project, User
from provisioning.models import Environment, EnvironmentEvent
from provisioning.provision_run import environment_provision_run
from provisioning.services import environment_tags
from tests.provisioning.conftest import AwsStubs

pytestmark = pytest.mark.django_db
Status = Environment.Status


def test_the_created_environment_is_audited_with_its_request_product_and_aws_name(
    queued: Environment,
) -> None:
    event = AuditEvent.objects.get(action="environment.created", object_id=str(queued.pk))
    assert event.data == {
        "request": str(queued.origin_request_id),
        "product": queued.product.name,
        "name": queued.provisioned_product_name,
    }


def test_the_timeline_says_aws_accepted_the_provisioning_with_its_record(
    queued: Environment,
) -> None:
    assert environment_provision_run(environment_id=queued.pk) == "provisioning"
    queued.refresh_from_db()
    dispatched = EnvironmentEvent.objects.get(environment=queued, kind="dispatched")
    assert dispatched.message == f"ProvisionProduct accepted (record {queued.last_record_id})."


def test_a_refused_provision_product_fails_with_the_operation_aws_code_and_reason(
    aws: AwsStubs, queued: Environment, django_capture_on_commit_callbacks: Any
) -> None:
    aws.stub("servicecatalog").add_client_error(
        "provision_product",
        service_error_code="InvalidParametersException",
        service_message="Parameter VolumeSizeInGB must be at least 5",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert environment_provision_run(environment_id=queued.pk) == "failed"
    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert queued.status_message == (
        "ProvisionProduct refused: InvalidParametersException: "
        "Parameter VolumeSizeInGB must be at least 5"
    )


def test_the_cost_center_tag_is_the_projects_and_the_owners_when_the_project_has_none(
    queued: Environment, project: Project, scientist: User
) -> None:
    scientist.cost_center = "CC-OWNER"
    scientist.save(update_fields=["cost_center"])
    project.cost_center = "CC-PROJECT"
    project.save(update_fields=["cost_center"])
    environment = Environment.objects.get(pk=queued.pk)

    def cost_center() -> str:
        tags = environment_tags(environment=environment, request=environment.origin_request)
        return {t.key: t.value for t in tags}["cost-center"]

    assert cost_center() == "CC-PROJECT"
    environment.project.cost_center = ""
    assert cost_center() == "CC-OWNER"
