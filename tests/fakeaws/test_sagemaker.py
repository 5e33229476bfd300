"""The fake SageMaker through real boto3 clients: notebook states, Studio, projects, tags."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from fakeaws import clock
from fakeaws.baseline import baseline_for
from fakeaws.models import SageMakerProject
from tests.fakeaws.conftest import PROJECT_ACCOUNT, REGION, assert_valid_output, provision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_catalog")]


@pytest.fixture
def sm(project_client: Any) -> Any:
    return project_client("sagemaker")


@pytest.fixture
def notebook(project_client: Any) -> str:
    provision(project_client("servicecatalog"))
    return "dana-nb"


def _error(caught: Any) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def test_a_provisioned_notebook_is_described_in_full(sm: Any, notebook: str) -> None:
    answer = sm.describe_notebook_instance(NotebookInstanceName=notebook)
    assert_valid_output(sm, "DescribeNotebookInstance", answer)
    assert answer["NotebookInstanceStatus"] == "InService"
    assert answer["RootAccess"] == "Disabled" and answer["DirectInternetAccess"] == "Disabled"
    assert answer["VolumeSizeInGB"] == 20


def test_notebook_states_follow_sagemakers_rules(sm: Any, notebook: str, settings: Any) -> None:
    settings.FAKEAWS_OPERATION_SECONDS = 8
    with pytest.raises(ClientError) as caught:
        sm.start_notebook_instance(NotebookInstanceName=notebook)
    code, message = _error(caught)
    assert code == "ValidationException"
    assert message.startswith("Status (InService) not in ([Stopped, Failed]). Unable to "
                              "transition to (Pending) for Notebook Instance (arn:aws:sagemaker:")
    sm.stop_notebook_instance(NotebookInstanceName=notebook)
    assert sm.describe_notebook_instance(NotebookInstanceName=notebook)[
        "NotebookInstanceStatus"] == "Stopping"
    with pytest.raises(ClientError):
        sm.stop_notebook_instance(NotebookInstanceName=notebook)
    clock.advance(8)
    assert sm.describe_notebook_instance(NotebookInstanceName=notebook)[
        "NotebookInstanceStatus"] == "Stopped"
    with pytest.raises(ClientError) as caught:
        sm.stop_notebook_instance(NotebookInstanceName=notebook)
    assert _error(caught)[1].startswith("Status (Stopped) not in ([InService]).")
    sm.update_notebook_instance(NotebookInstanceName=notebook, InstanceType="ml.m5.xlarge")
    clock.advance(8)
    sm.start_notebook_instance(NotebookInstanceName=notebook)
    clock.advance(8)
    answer = sm.describe_notebook_instance(NotebookInstanceName=notebook)
    assert (answer["NotebookInstanceStatus"], answer["InstanceType"]) == (
        "InService", "ml.m5.xlarge")


def test_deleting_needs_a_stopped_notebook_and_then_it_is_gone(sm: Any, notebook: str) -> None:
    with pytest.raises(ClientError):
        sm.delete_notebook_instance(NotebookInstanceName=notebook)
    sm.stop_notebook_instance(NotebookInstanceName=notebook)
    sm.delete_notebook_instance(NotebookInstanceName=notebook)
    with pytest.raises(ClientError) as caught:
        sm.describe_notebook_instance(NotebookInstanceName=notebook)
    assert _error(caught) == ("ValidationException", "RecordNotFound")


def test_list_notebook_instances_filters_and_pages(project_client: Any, sm: Any) -> None:
    sc = project_client("servicecatalog")
    for index in range(3):
        provision(sc, f"nb-{index}", notebook=f"team-nb-{index}")
    first = sm.list_notebook_instances(MaxResults=2, NameContains="team")
    assert_valid_output(sm, "ListNotebookInstances", first)
    rest = sm.list_notebook_instances(MaxResults=2, NameContains="team",
                                      NextToken=first["NextToken"])
    names = [n["NotebookInstanceName"] for n in first["NotebookInstances"] + rest[
        "NotebookInstances"]]
    assert names == ["team-nb-0", "team-nb-1", "team-nb-2"]
    assert sm.list_notebook_instances(StatusEquals="Stopped")["NotebookInstances"] == []


def test_studio_domain_and_profiles(project_client: Any, sm: Any) -> None:
    sc = project_client("servicecatalog")
    record = sc.provision_product(
        ProductId="prod-testprofile01", ProvisioningArtifactId="pa-testprofile01v1",
        ProvisionedProductName="studio-dana",
        ProvisioningParameters=[{"Key": "UserProfileName", "Value": "dana"}])["RecordDetail"]
    outputs = sc.describe_record(Id=record["RecordId"])["RecordOutputs"]
    domain_id = baseline_for(account=PROJECT_ACCOUNT, region=REGION).domain_id
    arn = f"arn:aws:sagemaker:{REGION}:{PROJECT_ACCOUNT}:user-profile/{domain_id}/dana"
    assert {o["OutputKey"]: o["OutputValue"] for o in outputs}["ProfileArn"] == arn
    domain = sm.describe_domain(DomainId=domain_id)
    assert_valid_output(sm, "DescribeDomain", domain)
    profile = sm.describe_user_profile(DomainId=domain_id, UserProfileName="dana")
    assert_valid_output(sm, "DescribeUserProfile", profile)
    assert profile["Status"] == "InService"
    listed = sm.list_user_profiles(DomainIdEquals=domain_id)
    assert_valid_output(sm, "ListUserProfiles", listed)
    assert [p["UserProfileName"] for p in listed["UserProfiles"]] == ["dana"]
    with pytest.raises(ClientError) as caught:
        sm.describe_user_profile(DomainId=domain_id, UserProfileName="nobody")
    assert _error(caught)[0] == "ResourceNotFound"


def _create_project(sm: Any, name: str = "churn") -> dict[str, Any]:
    return sm.create_project(ProjectName=name, ServiceCatalogProvisioningDetails={
        "ProductId": "prod-testproject01", "ProvisioningArtifactId": "pa-testproject01v1"})


def test_create_project_fills_the_project_parameters_and_provisions(sm: Any) -> None:
    created = _create_project(sm)
    assert_valid_output(sm, "CreateProject", created)
    assert created["ProjectId"].startswith("p-")
    answer = sm.describe_project(ProjectName="churn")
    assert_valid_output(sm, "DescribeProject", answer)
    assert answer["ProjectStatus"] == "CreateCompleted"
    project = SageMakerProject.objects.get(name="churn")
    assert project.product is not None
    assert project.product.parameters["SageMakerProjectId"] == created["ProjectId"]
    bucket = project.product.resources.get(logical_id="Artifacts")
    assert bucket.name == f"sagemaker-churn-{created['ProjectId']}"


def test_a_taken_project_name_is_refused(project_client: Any) -> None:
    _create_project(project_client("sagemaker", session_name="dana.scientist"))
    colin = project_client("sagemaker", session_name="colin.colleague")
    with pytest.raises(ClientError) as caught:
        _create_project(colin)
    assert _error(caught)[0] == "ValidationException"
    assert SageMakerProject.objects.count() == 1


def test_the_caller_cannot_set_the_parameters_sagemaker_fills(sm: Any) -> None:
    with pytest.raises(ClientError):
        sm.create_project(ProjectName="churn", ServiceCatalogProvisioningDetails={
            "ProductId": "prod-testproject01", "ProvisioningArtifactId": "pa-testproject01v1",
            "ProvisioningParameters": [{"Key": "SageMakerProjectId", "Value": "p-mine"}]})


def test_a_new_project_may_not_be_found_yet(sm: Any, settings: Any) -> None:
    settings.FAKEAWS_CONSISTENCY_SECONDS = 2
    _create_project(sm)
    with pytest.raises(ClientError):
        sm.describe_project(ProjectName="churn")
    clock.advance(2)
    assert sm.describe_project(ProjectName="churn")["ProjectName"] == "churn"


def test_delete_project_terminates_its_product(sm: Any, project_client: Any) -> None:
    _create_project(sm)
    sm.delete_project(ProjectName="churn")
    with pytest.raises(ClientError):
        sm.describe_project(ProjectName="churn")
    sc = project_client("servicecatalog")
    found = sc.search_provisioned_products(AccessLevelFilter={"Key": "Account", "Value": "self"})
    assert found["ProvisionedProducts"] == []


def test_tags_are_listed_and_added(sm: Any, notebook: str) -> None:
    arn = sm.describe_notebook_instance(NotebookInstanceName=notebook)["NotebookInstanceArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "fraud"}])
    tags = sm.list_tags(ResourceArn=arn)
    assert_valid_output(sm, "ListTags", tags)
    keys = {t["Key"]: t["Value"] for t in tags["Tags"]}
    assert keys["team"] == "fraud" and keys["portal-environment"] == "env-1"
    with pytest.raises(ClientError):
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "aws:mine", "Value": "x"}])


def test_a_start_can_fail_on_demand_and_be_retried(sm: Any, notebook: str) -> None:
    from fakeaws import faults

    faults.fail_next_notebook_start(message="Insufficient capacity for ml.t3.medium.")
    with pytest.raises(ClientError):
        sm.start_notebook_instance(NotebookInstanceName=notebook)  # InService: refused
    sm.stop_notebook_instance(NotebookInstanceName=notebook)
    sm.start_notebook_instance(NotebookInstanceName=notebook)
    answer = sm.describe_notebook_instance(NotebookInstanceName=notebook)
    assert_valid_output(sm, "DescribeNotebookInstance", answer)
    assert answer["NotebookInstanceStatus"] == "Failed"
    assert answer["FailureReason"] == "Insufficient capacity for ml.t3.medium."
    sm.start_notebook_instance(NotebookInstanceName=notebook)
    assert sm.describe_notebook_instance(NotebookInstanceName=notebook)[
        "NotebookInstanceStatus"] == "InService"
