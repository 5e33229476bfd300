"""What a finished provisioning records: the resource found in the outputs, the audit event."""

from __future__ import annotations

from typing import Any

import pytest

from portal.models import AuditEvent, Project, User
from provisioning.models import Environment
from provisioning.services import environment_provision
from tests.provisioning.conftest import (
    AwsStubs,
    approved_request,
    make_notebook_product,
    run_until_settled,
)

pytestmark = pytest.mark.django_db


def test_a_studio_profile_is_found_in_its_outputs_and_the_availability_audited(
        aws: AwsStubs, scientist: User, project: Project,
        django_capture_on_commit_callbacks: Any) -> None:
    product, version = make_notebook_product(project, kind="studio_user_profile")
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version, parameters={"UserProfileName": "dana-studio",
                                                            "DomainId": "d-fraud0001"})
    with django_capture_on_commit_callbacks(execute=False):
        environment = environment_provision(request=request)
    assert environment is not None
    catalog = aws.stub("servicecatalog")
    detail = {"RecordId": "rec-s", "Status": "CREATED", "ProvisionedProductId": "pp-s"}
    catalog.add_response("provision_product", {"RecordDetail": detail})
    catalog.add_response("describe_record", {
        "RecordDetail": {**detail, "Status": "SUCCEEDED"},
        "RecordOutputs": [{"OutputKey": "DomainId", "OutputValue": "d-fraud0001"},
                          {"OutputKey": "UserProfileName", "OutputValue": "dana-studio"}]})
    with django_capture_on_commit_callbacks(execute=False):
        environment = run_until_settled(environment)
    assert environment.status == Environment.Status.AVAILABLE
    assert (environment.domain_id, environment.user_profile_name) == ("d-fraud0001",
                                                                      "dana-studio")
    assert environment.notebook_instance_name == "" and environment.launchable
    [available] = AuditEvent.objects.filter(action="environment.available")
    assert available.object_id == str(environment.pk)
    assert available.data == {"provisioned_product_id": environment.provisioned_product_id}
    assert environment.available_at is not None
