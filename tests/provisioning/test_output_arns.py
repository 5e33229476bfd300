"""A template may output only the resource's ARN (CloudFormation's Ref of a notebook instance or a
user profile): the portal reads the names from the ARN, on the fake AWS through the one backend."""

from __future__ import annotations

from typing import Any

import pytest

from portal.models import Project, User
from provisioning.follow import output_value_read
from provisioning.services import environment_provision
from tests.provisioning.conftest import approved_request, make_notebook_product, run_until_settled

pytestmark = pytest.mark.django_db


def test_a_notebook_mapped_to_its_arn_output_is_found_and_opens(
        scientist: User, project: Project, django_capture_on_commit_callbacks: Any) -> None:
    product, version = make_notebook_product(project)
    product.output_mapping = {"notebook_instance_name": "NotebookInstanceArn"}
    product.save(update_fields=["output_mapping"])
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version, parameters={"NotebookInstanceName": "Dana-NB"})
    with django_capture_on_commit_callbacks(execute=False):
        environment = run_until_settled(environment_provision(request=request))
    assert environment.status == "available"
    assert environment.outputs["NotebookInstanceArn"].endswith(":notebook-instance/dana-nb")
    assert environment.notebook_instance_name == "dana-nb"


def test_a_studio_profile_mapped_to_its_arn_output_gets_domain_and_profile(
        scientist: User, project: Project, django_capture_on_commit_callbacks: Any) -> None:
    product, version = make_notebook_product(project, kind="studio_user_profile")
    product.output_mapping = {"domain_id": "UserProfileArn", "user_profile_name": "UserProfileArn"}
    product.save(update_fields=["output_mapping"])
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version, parameters={"UserProfileName": "dana"})
    with django_capture_on_commit_callbacks(execute=False):
        environment = run_until_settled(environment_provision(request=request))
    assert environment.status == "available"
    assert environment.domain_id == environment.outputs["DomainId"]
    assert environment.domain_id.startswith("d-") and environment.user_profile_name == "dana"


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("notebook_instance_name",
     "arn:aws:sagemaker:eu-west-1:111111111111:notebook-instance/nb-1", "nb-1"),
    ("notebook_instance_name",
     "ARN:AWS:SAGEMAKER:eu-west-1:111111111111:Notebook-Instance/nb-1", "nb-1"),
    ("domain_id", "arn:aws-us-gov:sagemaker:us-gov-west-1:1:user-profile/d-abc/dana", "d-abc"),
    ("user_profile_name", "arn:aws:sagemaker:eu-west-1:1:user-profile/d-abc/dana", "dana"),
    ("notebook_instance_name", "arn:aws:sagemaker:eu-west-1:1:user-profile/d-abc/dana",
     "arn:aws:sagemaker:eu-west-1:1:user-profile/d-abc/dana"),  # not a notebook ARN: as it is
    ("domain_id", "d-plain", "d-plain"),
])
def test_output_values_are_read_from_sagemaker_arns_or_taken_as_they_are(
        field: str, value: str, expected: str) -> None:
    assert output_value_read(field, value) == expected
