"""Every launchable shape opens with the default configuration: each notebook and Studio fixture
(and demo template) is provisioned through the portal's services on the fake AWS, settled, found
and opened (the presigned URL's page answers 200); project templates resolve their project."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from catalog.models import Product
from fakeaws.baseline import Baseline
from fakeaws.models import NotebookInstance, UserProfile
from portal.models import Project, User
from provisioning.models import Environment
from tests.provisioning import fake_portal
from tests.provisioning.fake_portal import (
    approved,
    kind_of,
    provision_and_settle,
    request_values,
    shape_names,
)

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
shapes_catalog = fake_portal.shapes_catalog
LAUNCHABLE = [n for n in shape_names() if kind_of(n) != Product.Kind.SAGEMAKER_PROJECT]
PROJECTS = [n for n in shape_names() if kind_of(n) == Product.Kind.SAGEMAKER_PROJECT]


@pytest.mark.parametrize("name", LAUNCHABLE)
def test_every_launchable_shape_is_found_and_opens(
        name: str, shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        project: Project, client: Client) -> None:
    product = shapes_catalog[name]
    request = approved(requester=scientist, project=project, product=product,
                       parameters=request_values(product.versions.get(), fake_aws))
    environment = provision_and_settle(request)
    assert environment.status == Environment.Status.AVAILABLE, environment.status_message
    assert environment.resolved_by, "no source found the resource"
    if product.kind == Product.Kind.NOTEBOOK_INSTANCE:
        real = NotebookInstance.objects.get()
        assert environment.notebook_instance_name == real.name  # the real case, not the ARN's
    else:
        real_profile = UserProfile.objects.select_related("domain").get()
        assert (environment.domain_id, environment.user_profile_name) == (
            real_profile.domain.domain_id, real_profile.name)

    client.force_login(scientist)
    answer = client.post(f"/environments/{environment.pk}/open")
    assert answer.status_code == 302, answer.content[:500]
    url = urlsplit(answer["Location"])
    assert url.netloc == "testserver"
    page = client.get(f"{url.path}?{url.query}")
    assert page.status_code == 200


@pytest.mark.parametrize("name", PROJECTS)
def test_a_project_template_resolves_its_sagemaker_project(
        name: str, shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        project: Project) -> None:
    product = shapes_catalog[name]
    request = approved(requester=scientist, project=project, product=product,
                       parameters=request_values(product.versions.get(), fake_aws))
    environment = provision_and_settle(request)
    assert environment.status == Environment.Status.AVAILABLE, environment.status_message
    assert environment.sagemaker_project_id.startswith("p-")
    assert environment.resolved_by == "mapping"
    assert not environment.launchable
