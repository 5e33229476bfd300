"""The account baseline through EC2 (XML), KMS, the tagging API and CloudFormation (query/XML)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from fakeaws.baseline import baseline_for
from tests.fakeaws.conftest import PROJECT_ACCOUNT, REGION, assert_valid_output, provision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_catalog")]
BASE = baseline_for(account=PROJECT_ACCOUNT, region=REGION)


def test_ec2_describes_the_baseline_network(project_client: Any) -> None:
    ec2 = project_client("ec2")
    vpcs = ec2.describe_vpcs()
    assert_valid_output(ec2, "DescribeVpcs", vpcs)
    assert [v["VpcId"] for v in vpcs["Vpcs"]] == [BASE.vpc_id]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [BASE.vpc_id]}])
    assert_valid_output(ec2, "DescribeSubnets", subnets)
    assert [s["SubnetId"] for s in subnets["Subnets"]] == [s["SubnetId"] for s in BASE.subnets]
    assert subnets["Subnets"][0]["AvailabilityZone"] == f"{REGION}a"
    one = ec2.describe_subnets(SubnetIds=[BASE.subnets[1]["SubnetId"]])
    assert len(one["Subnets"]) == 1
    groups = ec2.describe_security_groups()
    assert_valid_output(ec2, "DescribeSecurityGroups", groups)
    assert groups["SecurityGroups"][0]["GroupName"] == "ml-notebooks"


def test_ec2_refuses_unknown_ids_with_its_own_codes(project_client: Any) -> None:
    ec2 = project_client("ec2")
    with pytest.raises(ClientError) as caught:
        ec2.describe_subnets(SubnetIds=["subnet-0123456789abcdef0"])
    assert caught.value.response["Error"]["Code"] == "InvalidSubnetID.NotFound"
    assert "subnet-0123456789abcdef0" in caught.value.response["Error"]["Message"]


def test_kms_finds_the_key_by_id_arn_and_alias(project_client: Any) -> None:
    kms = project_client("kms")
    for key in (BASE.kms_key_id, BASE.kms_key_arn, BASE.kms_alias):
        answer = kms.describe_key(KeyId=key)
        assert_valid_output(kms, "DescribeKey", answer)
        assert answer["KeyMetadata"]["Arn"] == BASE.kms_key_arn
    aliases = kms.list_aliases()
    assert_valid_output(kms, "ListAliases", aliases)
    assert aliases["Aliases"][0]["TargetKeyId"] == BASE.kms_key_id
    with pytest.raises(ClientError) as caught:
        kms.describe_key(KeyId="alias/nothing")
    assert caught.value.response["Error"]["Code"] == "NotFoundException"


def test_tagged_resources_are_found_by_the_portal_tag(project_client: Any) -> None:
    record = provision(project_client("servicecatalog"))["RecordDetail"]
    tagging = project_client("resourcegroupstaggingapi")
    answer = tagging.get_resources(
        TagFilters=[{"Key": "portal-environment", "Values": ["env-1"]}],
        ResourceTypeFilters=["sagemaker:notebook-instance"])
    assert_valid_output(tagging, "GetResources", answer)
    arns = [r["ResourceARN"] for r in answer["ResourceTagMappingList"]]
    assert arns == [f"arn:aws:sagemaker:{REGION}:{PROJECT_ACCOUNT}:notebook-instance/dana-nb"]
    by_pp = tagging.get_resources(TagFilters=[{
        "Key": "aws:servicecatalog:provisionedProductArn",
        "Values": [f"arn:aws:servicecatalog:{REGION}:{PROJECT_ACCOUNT}:stack/nb-dana/"
                   f"{record['ProvisionedProductId']}"]}])
    assert [r["ResourceARN"] for r in by_pp["ResourceTagMappingList"]] == arns
    none = tagging.get_resources(TagFilters=[{"Key": "portal-environment", "Values": ["env-2"]}])
    assert none["ResourceTagMappingList"] == []


def test_cloudformation_lists_the_stack_resources_of_a_product(project_client: Any) -> None:
    record = provision(project_client("servicecatalog"))["RecordDetail"]
    stack = f"SC-{PROJECT_ACCOUNT}-{record['ProvisionedProductId']}"
    cfn = project_client("cloudformation")
    answer = cfn.list_stack_resources(StackName=stack)
    assert_valid_output(cfn, "ListStackResources", answer)
    [resource] = answer["StackResourceSummaries"]
    assert resource["LogicalResourceId"] == "Notebook"
    assert resource["ResourceType"] == "AWS::SageMaker::NotebookInstance"
    with pytest.raises(ClientError) as caught:
        cfn.list_stack_resources(StackName="SC-nothing")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
