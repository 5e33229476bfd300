"""A provisioning the portal gave up on (timeout) that AWS finished later: reconcile makes it
available and finds its resource the same way the follow-up does (here from the stack)."""

from __future__ import annotations

import pytest

from catalog.models import Product
from fakeaws.baseline import Baseline
from portal.models import Project, User
from provisioning.models import Environment
from provisioning.provision_run import environment_provision_run
from provisioning.services import environment_provision
from provisioning.sweep import environments_reconcile
from tests.provisioning import fake_portal
from tests.provisioning.fake_portal import approved, request_values

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
shapes_catalog = fake_portal.shapes_catalog


def test_reconcile_finds_the_resource_of_a_provisioning_aws_finished_late(
        shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        project: Project) -> None:
    product = shapes_catalog["fixtures/notebook-no-outputs.yaml"]
    environment = environment_provision(request=approved(
        requester=scientist, project=project, product=product,
        parameters=request_values(product.versions.get(), fake_aws)))
    assert environment is not None
    environment_provision_run(environment_id=environment.pk)
    # The portal stopped waiting (as after PORTAL_PROVISION_TIMEOUT_SECONDS): it is failed.
    Environment.objects.filter(pk=environment.pk).update(status=Environment.Status.FAILED)
    assert environments_reconcile()["recovered"] == 1
    environment = Environment.objects.get(pk=environment.pk)
    assert environment.status == Environment.Status.AVAILABLE
    assert environment.resolved_by == "stack" and environment.notebook_instance_name
