"""A template may output only the resource's ARN (CloudFormation's Ref of a notebook instance or a
user profile): the portal reads the names from the ARN, on the fake AWS through the one backend."""

from __future__ import annotations

from typing import Any

import pytest

from portal.models import Project, User
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
    # The ARN lower-cases the name; resolve's finder takes the real one from SageMaker.
    assert environment.notebook_instance_name == "Dana-NB"


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
