"""NoEcho values sealed at rest: stored encrypted, sent to AWS in clear, a wrong key refused."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from botocore.stub import ANY
from cryptography.fernet import Fernet
from django.apps import apps as django_apps

from approvals.models import Request
from catalog.models import ParameterSpec, ProductVersion
from portal.models import Project, User
from portal.sealing import (
    SEALED_PREFIX,
    ParameterSealBroken,
    parameters_open,
    parameters_seal,
    rows_parameters_seal,
)
from provisioning.follow import environment_follow_run
from provisioning.lifecycle import environment_update_apply
from provisioning.models import Environment
from provisioning.provision_run import environment_provision_run
from provisioning.services import environment_provision
from tests.provisioning.conftest import AwsStubs, approved_request
from tests.provisioning.test_environment_provision_run import expected_tags, record

pytestmark = pytest.mark.django_db
SECRET = "ghp-sealed-s3cret-0123"
CLEAR = {"NotebookInstanceName": "", "InstanceType": "ml.t3.medium", "VolumeSizeInGB": "20",
         "RootAccess": "Disabled", "GitToken": SECRET}


@pytest.fixture
def with_secret(notebook: tuple[Any, ProductVersion]) -> tuple[Any, ProductVersion]:
    ParameterSpec.objects.create(version=notebook[1], key="GitToken", position=0, no_echo=True,
                                 default="")
    return notebook


@pytest.fixture
def queued_secret(scientist: User, project: Project, with_secret: tuple[Any, ProductVersion],
                  django_capture_on_commit_callbacks: Any) -> Environment:
    product, version = with_secret
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version,
                               parameters=parameters_seal(values=CLEAR, secret_keys={"GitToken"}))
    with django_capture_on_commit_callbacks(execute=False):
        return environment_provision(request=request)


def expect_provision(aws: AwsStubs, environment: Environment) -> None:
    aws.stub("servicecatalog").add_response(
        "provision_product", {"RecordDetail": record("CREATED")},
        {"ProductId": "prod-nb0001", "ProvisioningArtifactId": "pa-nb0001v1",
         "PathId": "lpv3-nb0001", "ProvisionedProductName": environment.provisioned_product_name,
         "ProvisioningParameters": [
             {"Key": "GitToken", "Value": SECRET},  # the clear value, not the sealed one
             {"Key": "InstanceType", "Value": "ml.t3.medium"},
             {"Key": "NotebookInstanceName", "Value": environment.provisioned_product_name},
             {"Key": "RootAccess", "Value": "Disabled"},
             {"Key": "VolumeSizeInGB", "Value": "20"}],
         "Tags": expected_tags(environment), "ProvisionToken": str(environment.origin_request_id)})


def stored_json() -> str:
    return str(list(Request.objects.values_list("parameters", flat=True))) \
        + str(list(Environment.objects.values_list("parameters", flat=True)))


def test_the_stored_value_is_sealed_and_aws_receives_the_clear_one(
        aws: AwsStubs, queued_secret: Environment) -> None:
    assert queued_secret.parameters["GitToken"].startswith(SEALED_PREFIX)
    assert SECRET not in stored_json()
    expect_provision(aws, queued_secret)

    assert environment_provision_run(environment_id=queued_secret.pk) == "provisioning"

    assert SECRET not in stored_json()  # still sealed after the call


def test_a_rotated_key_still_opens_values_sealed_with_the_old_one(
        aws: AwsStubs, queued_secret: Environment, settings: Any) -> None:
    settings.PORTAL_PARAMETER_KEYS = [Fernet.generate_key().decode(),
                                      *settings.PORTAL_PARAMETER_KEYS]
    expect_provision(aws, queued_secret)

    assert environment_provision_run(environment_id=queued_secret.pk) == "provisioning"


def test_a_wrong_key_fails_loudly_and_sends_nothing_to_aws(
        aws: AwsStubs, queued_secret: Environment, settings: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    settings.PORTAL_PARAMETER_KEYS = [Fernet.generate_key().decode()]
    aws.stub("servicecatalog")  # no response queued: any call to AWS would fail the test

    with caplog.at_level(logging.ERROR), pytest.raises(ParameterSealBroken, match="GitToken"):
        environment_provision_run(environment_id=queued_secret.pk)

    assert "could not be opened" in caplog.text and "GitToken" in caplog.text
    assert SECRET not in caplog.text
    queued_secret.refresh_from_db()
    assert queued_secret.status == Environment.Status.QUEUED  # kept: a fixed key provisions it


def test_the_data_migration_seals_clear_values_and_reverses(
        scientist: User, project: Project, with_secret: tuple[Any, ProductVersion]) -> None:
    product, version = with_secret
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version, parameters=dict(CLEAR))
    spec = django_apps.get_model("catalog", "ParameterSpec")

    assert rows_parameters_seal(model=Request, spec_model=spec, seal=True) == 1
    request.refresh_from_db()
    assert request.parameters["GitToken"].startswith(SEALED_PREFIX)
    assert request.parameters["InstanceType"] == "ml.t3.medium"  # only NoEcho values sealed
    assert rows_parameters_seal(model=Request, spec_model=spec, seal=True) == 0  # idempotent

    assert rows_parameters_seal(model=Request, spec_model=spec, seal=False) == 1
    request.refresh_from_db()
    assert request.parameters == CLEAR


def test_a_day_2_change_sends_the_clear_value_and_keeps_it_sealed(
        aws: AwsStubs, queued_secret: Environment, scientist: User, project: Project,
        django_capture_on_commit_callbacks: Any) -> None:
    Environment.objects.filter(pk=queued_secret.pk).update(
        status=Environment.Status.AVAILABLE, provisioned_product_id="pp-1")
    changed = {**CLEAR, "InstanceType": "ml.m5.xlarge", "GitToken": SECRET + "-rotated"}
    request = approved_request(requester=scientist, project=project,
                               product=queued_secret.product, version=queued_secret.version,
                               action=Request.Action.UPDATE, environment_ref=str(queued_secret.pk),
                               parameters=parameters_seal(values=changed,
                                                          secret_keys={"GitToken"}))
    with django_capture_on_commit_callbacks(execute=False):
        environment_update_apply(request=request)
    aws.stub("servicecatalog").add_response(
        "update_provisioned_product", {"RecordDetail": record("CREATED")},
        {"ProvisionedProductId": "pp-1", "ProductId": "prod-nb0001",
         "ProvisioningArtifactId": "pa-nb0001v1", "PathId": "lpv3-nb0001",
         "ProvisioningParameters": [
             # The changed values (the secret opened for this call), then the unchanged ones
             # kept by Service Catalog (UsePreviousValue: issue 9 §4).
             {"Key": "GitToken", "Value": SECRET + "-rotated"},
             {"Key": "InstanceType", "Value": "ml.m5.xlarge"},
             {"Key": "NotebookInstanceName", "UsePreviousValue": True},
             {"Key": "RootAccess", "UsePreviousValue": True},
             {"Key": "VolumeSizeInGB", "UsePreviousValue": True}],
         "Tags": ANY, "UpdateToken": str(request.pk)})
    queued_secret.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        environment_follow_run(environment_id=queued_secret.pk,
                               attempt=queued_secret.follow_attempt)

    aws.assert_no_pending()  # AWS got the call with the parameters above
    queued_secret.refresh_from_db()
    assert queued_secret.last_record_id == "rec-1"
    assert SECRET not in stored_json()


def test_a_sealed_value_moved_to_another_parameter_or_left_clear_is_refused() -> None:
    sealed = parameters_seal(values={"GitToken": SECRET}, secret_keys={"GitToken"})["GitToken"]

    with pytest.raises(ParameterSealBroken, match="DbPassword"):
        parameters_open(values={"DbPassword": sealed}, secret_keys={"DbPassword"})
    with pytest.raises(ParameterSealBroken):  # a NoEcho value never sent as it is stored
        parameters_open(values={"GitToken": SECRET}, secret_keys={"GitToken"})


def test_text_that_looks_sealed_is_sealed_again_and_never_decrypted_elsewhere() -> None:
    sealed = parameters_seal(values={"GitToken": SECRET}, secret_keys={"GitToken"})["GitToken"]
    typed = {"GitToken": sealed, "Note": sealed}  # someone pastes a sealed value into the form

    stored = parameters_seal(values=typed, secret_keys={"GitToken"})
    opened = parameters_open(values=stored, secret_keys={"GitToken"})

    assert opened == {"GitToken": sealed, "Note": sealed}  # sent as typed, not as SECRET
