"""While AWS does not know a record it has just accepted (eventual consistency), a follow-up
check records nothing it did not read: no provisioned product id appears from nowhere, and the
one AWS reports once it answers is the one kept."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from catalog.models import Product
from fakeaws import clock
from fakeaws.baseline import Baseline
from portal.models import Project, User
from provisioning.follow import environment_follow_run
from provisioning.models import Environment
from provisioning.provision_run import environment_provision_run
from provisioning.services import environment_provision
from tests.provisioning import fake_portal
from tests.provisioning.fake_portal import approved, request_values

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
shapes_catalog = fake_portal.shapes_catalog
NOTEBOOK = "demo/notebook-v2.yaml"


def check(environment: Environment) -> Environment:
    environment_follow_run(environment_id=environment.pk, attempt=environment.follow_attempt)
    return Environment.objects.get(pk=environment.pk)


def test_a_missing_record_adds_no_provisioned_product_id_and_the_real_one_comes_later(
        shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        project: Project, settings: Any, django_capture_on_commit_callbacks: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    settings.FAKEAWS_CONSISTENCY_SECONDS = 5
    settings.PORTAL_AWS_CONSISTENCY_SECONDS = 60
    product = shapes_catalog[NOTEBOOK]
    request = approved(requester=scientist, project=project, product=product,
                       parameters=request_values(product.versions.get(), fake_aws))
    with django_capture_on_commit_callbacks(execute=True):
        environment = environment_provision(request=request)
        assert environment is not None
        assert environment_provision_run(environment_id=environment.pk) == "provisioning"
    environment = Environment.objects.get(pk=environment.pk)
    real_id = environment.provisioned_product_id
    assert real_id.startswith("pp-")
    # As if ProvisionProduct's answer had carried no id: only a later read may supply it.
    Environment.objects.filter(pk=environment.pk).update(provisioned_product_id="")
    caplog.set_level(logging.INFO, logger="provisioning.follow")
    with django_capture_on_commit_callbacks(execute=True):
        environment = check(Environment.objects.get(pk=environment.pk))
    assert environment.aws_missing_since is not None  # the record is not known yet
    # What the operator reads in the worker's log, as a line of its own.
    assert any(r.getMessage().startswith(
        f"Environment {environment.pk}: AWS does not know its record/project yet (")
        and r.getMessage().endswith(")") for r in caplog.records)
    assert environment.provisioned_product_id == ""
    clock.advance(6)
    with django_capture_on_commit_callbacks(execute=True):
        environment = check(environment)
    assert environment.status == Environment.Status.AVAILABLE, environment.status_message
    assert environment.provisioned_product_id == real_id
