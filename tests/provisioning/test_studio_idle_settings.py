"""Studio idle shutdown through the profile: the demo template passes its parameters into
``UserSettings.JupyterLabAppSettings.AppLifecycleManagement.IdleSettings``, the fake's
CloudFormation validates them as AWS::SageMaker::UserProfile does (60-525600 minutes,
ENABLED/DISABLED), and DescribeUserProfile reads back what is in force."""

from __future__ import annotations

import pytest

from catalog.models import Product
from fakeaws.baseline import Baseline
from portal.aws import aws_client
from portal.models import Project, User
from provisioning.models import Environment
from tests.provisioning import fake_portal
from tests.provisioning.fake_portal import approved, provision_and_settle, request_values

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
shapes_catalog = fake_portal.shapes_catalog
__all__ = ["fake_aws", "shapes_catalog"]  # fixtures used by name
STUDIO = "demo/studio-user-profile.yaml"


def provision(project: Project, product: Product, owner: User, base: Baseline,
              **values: str) -> Environment:
    parameters = {**request_values(product.versions.get(), base), **values}
    return provision_and_settle(approved(requester=owner, project=project, product=product,
                                         parameters=parameters))


def test_the_profile_carries_the_idle_settings(
        fake_aws: Baseline, shapes_catalog: dict[str, Product], project: Project,
        scientist: User) -> None:
    environment = provision(project, shapes_catalog[STUDIO], scientist, fake_aws,
                            IdleTimeoutInMinutes="90", MaxIdleTimeoutInMinutes="240")
    assert environment.status == Environment.Status.AVAILABLE, environment.status_message
    answer = aws_client("sagemaker", project=project).describe_user_profile(
        DomainId=environment.domain_id, UserProfileName=environment.user_profile_name)
    idle = answer["UserSettings"]["JupyterLabAppSettings"]["AppLifecycleManagement"][
        "IdleSettings"]
    assert idle == {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 90,
                    "MinIdleTimeoutInMinutes": 60, "MaxIdleTimeoutInMinutes": 240}


def test_a_timeout_out_of_bounds_fails_the_stack(
        fake_aws: Baseline, shapes_catalog: dict[str, Product], project: Project,
        scientist: User, settings: object) -> None:
    # The template's MinValue would refuse 30 at ProvisionProduct; a template without it lets
    # the value through to the resource, whose schema refuses it: the stack fails.
    from fakeaws.cfn.errors import TemplateError
    from fakeaws.cfn.idle_settings import idle_settings_read

    with pytest.raises(TemplateError, match=r"IdleTimeoutInMinutes: failed validation "
                                            r"constraint for keyword \[minimum\]"):
        idle_settings_read({"UserSettings": {"JupyterLabAppSettings": {
            "AppLifecycleManagement": {"IdleSettings": {"IdleTimeoutInMinutes": "30"}}}}},
            logical_id="UserProfile")
    with pytest.raises(TemplateError, match="SOMETIMES is not a valid enum value"):
        idle_settings_read({"UserSettings": {"JupyterLabAppSettings": {
            "AppLifecycleManagement": {"IdleSettings": {"LifecycleManagement": "SOMETIMES"}}}}},
            logical_id="UserProfile")
    environment = provision(project, shapes_catalog[STUDIO], scientist, fake_aws,
                            IdleTimeoutInMinutes="30")
    assert environment.status == Environment.Status.FAILED
    assert "60" in environment.status_message or "MinValue" in environment.status_message \
        or "IdleTimeoutInMinutes" in environment.status_message
