"""Studio idle shutdown through the profile: the demo template passes its parameters into
``UserSettings.JupyterLabAppSettings.AppLifecycleManagement.IdleSettings``, the fake's
CloudFormation validates them as AWS::SageMaker::UserProfile does (60-525600 minutes,
ENABLED/DISABLED), and DescribeUserProfile reads back what is in force."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import Client
from django.urls import reverse

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
        scientist: User, settings: Any) -> None:
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


def curate(product: Product, admin: User, mapping: dict[str, str]) -> Product:
    from catalog.services import product_update

    return product_update(product=product, actor=admin, idle_parameters=mapping)


IDLE_MAPPING = {"LifecycleManagement": "IdleShutdown",
                "IdleTimeoutInMinutes": "IdleTimeoutInMinutes",
                "MinIdleTimeoutInMinutes": "MinIdleTimeoutInMinutes",
                "MaxIdleTimeoutInMinutes": "MaxIdleTimeoutInMinutes"}


def test_a_curated_product_gets_the_portals_idle_settings_shown_on_the_page(
        fake_aws: Baseline, shapes_catalog: dict[str, Product], project: Project,
        scientist: User, platform_admin: User, settings: Any, client: Client) -> None:
    settings.PORTAL_STUDIO_IDLE_MINUTES = (180, 90, 600)
    product = curate(shapes_catalog[STUDIO], platform_admin, IDLE_MAPPING)
    assert product.idle_parameters == IDLE_MAPPING
    environment = provision(project, product, scientist, fake_aws, IdleShutdown="DISABLED",
                            IdleTimeoutInMinutes="1000")  # the portal's values win
    assert environment.status == Environment.Status.AVAILABLE, environment.status_message
    idle = aws_client("sagemaker", project=project).describe_user_profile(
        DomainId=environment.domain_id, UserProfileName=environment.user_profile_name
    )["UserSettings"]["JupyterLabAppSettings"]["AppLifecycleManagement"]["IdleSettings"]
    assert idle == {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 180,
                    "MinIdleTimeoutInMinutes": 90, "MaxIdleTimeoutInMinutes": 600}
    client.force_login(scientist)
    page = client.get(reverse("provisioning:environment_detail", args=[environment.pk]))
    text = page.content.decode()
    assert "shut down after <strong>180</strong> idle minutes" in text
    assert "you may set 90 to 600 minutes" in text


def test_an_uncurated_product_keeps_the_requesters_values(
        fake_aws: Baseline, shapes_catalog: dict[str, Product], project: Project,
        scientist: User, client: Client) -> None:
    environment = provision(project, shapes_catalog[STUDIO], scientist, fake_aws,
                            IdleShutdown="DISABLED")
    client.force_login(scientist)
    page = client.get(reverse("provisioning:environment_detail", args=[environment.pk]))
    assert 'id="idle-off"' in page.content.decode()


def test_the_curation_refuses_a_parameter_the_product_lacks_or_a_non_studio_product(
        fake_aws: Baseline, shapes_catalog: dict[str, Product], platform_admin: User) -> None:
    with pytest.raises(ValidationError, match="no parameter IdleMinutes"):
        curate(shapes_catalog[STUDIO], platform_admin, {"IdleTimeoutInMinutes": "IdleMinutes"})
    notebook = shapes_catalog["demo/notebook-v1.yaml"]
    with pytest.raises(ValidationError, match="Studio user profiles only"):
        curate(notebook, platform_admin, {"IdleTimeoutInMinutes": "InstanceType"})
    assert Product.objects.get(pk=shapes_catalog[STUDIO].pk).idle_parameters == {}


@pytest.mark.parametrize("value", [["30", "60", "480"], ["120", "60"], ["500", "60", "480"],
                                   ["x", "60", "480"]])
def test_the_setting_refuses_minutes_outside_sagemakers_bounds(value: list[str]) -> None:
    from config.settings_leases import _idle_minutes

    with pytest.raises(ImproperlyConfigured, match="PORTAL_STUDIO_IDLE_MINUTES"):
        _idle_minutes(value)
    assert _idle_minutes([]) is None and _idle_minutes(["120", "60", "480"]) == (120, 60, 480)


def test_the_demo_seed_maps_the_demo_studio_products_idle_parameters(
        fake_aws: Baseline, shapes_catalog: dict[str, Product]) -> None:
    from catalog.demo import demo_prices_seed

    demo_prices_seed()
    assert Product.objects.get(pk=shapes_catalog[STUDIO].pk).idle_parameters == IDLE_MAPPING
    fixture = shapes_catalog["fixtures/studio-profile-arn-only.yaml"]
    assert Product.objects.get(pk=fixture.pk).idle_parameters == {}  # no such parameters
