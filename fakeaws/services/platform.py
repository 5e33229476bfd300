"""The platform baseline as AWS shows it: EC2 networking, KMS keys, tagged resources, stack
resources.

Facts (EC2, KMS, Resource Groups Tagging API and CloudFormation API references):
- EC2 answers ``<DescribeSubnetsResponse>`` with ``subnetSet/item``; an unknown id is
  ``InvalidSubnetID.NotFound`` "The subnet ID '<id>' does not exist" (likewise InvalidVpcID,
  InvalidGroup); filters are ``Filter.N.Name`` / ``Filter.N.Value.M``.
- KMS DescribeKey takes a key id, key ARN, alias name or alias ARN; unknown → NotFoundException.
- GetResources filters on TagFilters (a key with any of its values) and ResourceTypeFilters
  (``service[:type]``); the last page answers an empty PaginationToken.
- CloudFormation ListStackResources takes the stack name or id; an unknown stack is
  ValidationError "Stack with id <x> does not exist".
"""

from __future__ import annotations

from typing import Any

from fakeaws.baseline import baseline_ensure
from fakeaws.identity import Caller
from fakeaws.models import AccountRegion, ProvisionedProduct, Tag
from fakeaws.protocol import AwsError
from fakeaws.services.paging import page
from fakeaws.services.registry import operation


def _filters(params: dict[str, Any]) -> dict[str, list[str]]:
    return {str(f.get("Name")): list(f.get("Value", [])) for f in params.get("Filter", [])}


def _match(item: dict[str, Any], filters: dict[str, list[str]], fields: dict[str, str]) -> bool:
    for name, values in filters.items():
        field = fields.get(name)
        if field is None:
            raise AwsError("InvalidParameterValue", f"The filter '{name}' is invalid")
        if str(item.get(field, "")) not in values:
            return False
    return True


def _ids(params: dict[str, Any], key: str) -> list[str]:
    return [str(v) for v in params.get(key, [])]


@operation("ec2", "DescribeVpcs")
def describe_vpcs(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    base = baseline_ensure(account=caller.account, region=region)
    vpcs = [{"VpcId": base.vpc_id, "CidrBlock": base.vpc_cidr, "State": "available",
             "OwnerId": caller.account, "IsDefault": False, "InstanceTenancy": "default"}]
    for wanted in _ids(params, "VpcId"):
        if wanted != base.vpc_id:
            raise AwsError("InvalidVpcID.NotFound", f"The vpc ID '{wanted}' does not exist")
    vpcs = [v for v in vpcs if _match(v, _filters(params), {"vpc-id": "VpcId",
                                                            "state": "State"})]
    return {"Vpcs": vpcs}


@operation("ec2", "DescribeSubnets")
def describe_subnets(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    base = baseline_ensure(account=caller.account, region=region)
    subnets = [{**s, "VpcId": base.vpc_id, "State": "available", "OwnerId": caller.account,
                "AvailableIpAddressCount": 250, "DefaultForAz": False,
                "MapPublicIpOnLaunch": False,
                "SubnetArn": f"arn:aws:ec2:{region}:{caller.account}:subnet/{s['SubnetId']}"}
               for s in base.subnets]
    known = {s["SubnetId"] for s in subnets}
    for wanted in _ids(params, "SubnetId"):
        if wanted not in known:
            raise AwsError("InvalidSubnetID.NotFound", f"The subnet ID '{wanted}' does not "
                           "exist")
    if params.get("SubnetId"):
        subnets = [s for s in subnets if s["SubnetId"] in _ids(params, "SubnetId")]
    fields = {"vpc-id": "VpcId", "subnet-id": "SubnetId", "availability-zone":
              "AvailabilityZone", "state": "State"}
    return {"Subnets": [s for s in subnets if _match(s, _filters(params), fields)]}


@operation("ec2", "DescribeSecurityGroups")
def describe_security_groups(*, caller: Caller, region: str, params: dict[str, Any]
                             ) -> dict[str, Any]:
    base = baseline_ensure(account=caller.account, region=region)
    groups = [{**g, "VpcId": base.vpc_id, "OwnerId": caller.account, "IpPermissions": [],
               "IpPermissionsEgress": []} for g in base.security_groups]
    known = {g["GroupId"] for g in groups}
    for wanted in _ids(params, "GroupId"):
        if wanted not in known:
            raise AwsError("InvalidGroup.NotFound", f"The security group '{wanted}' does not "
                           "exist")
    if params.get("GroupId"):
        groups = [g for g in groups if g["GroupId"] in _ids(params, "GroupId")]
    fields = {"vpc-id": "VpcId", "group-id": "GroupId", "group-name": "GroupName"}
    return {"SecurityGroups": [g for g in groups if _match(g, _filters(params), fields)]}


def _key(caller: Caller, region: str, key_id: str) -> Any:
    base = baseline_ensure(account=caller.account, region=region)
    alias_arn = f"arn:aws:kms:{region}:{caller.account}:{base.kms_alias}"
    if key_id in (base.kms_key_id, base.kms_key_arn, base.kms_alias, alias_arn):
        return base
    raise AwsError("NotFoundException", f"Key '{key_id}' does not exist")


@operation("kms", "DescribeKey")
def describe_key(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    base = _key(caller, region, str(params.get("KeyId", "")))
    created = AccountRegion.objects.get(account=caller.account, region=region).first_seen
    return {"KeyMetadata": {
        "AWSAccountId": caller.account, "KeyId": base.kms_key_id, "Arn": base.kms_key_arn,
        "CreationDate": created, "Enabled": True, "Description": "ML notebooks and Studio",
        "KeyUsage": "ENCRYPT_DECRYPT", "KeyState": "Enabled", "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER", "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "KeySpec": "SYMMETRIC_DEFAULT", "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": False}}


@operation("kms", "ListAliases")
def list_aliases(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    base = baseline_ensure(account=caller.account, region=region)
    created = AccountRegion.objects.get(account=caller.account, region=region).first_seen
    aliases = [{"AliasName": base.kms_alias,
                "AliasArn": f"arn:aws:kms:{region}:{caller.account}:{base.kms_alias}",
                "TargetKeyId": base.kms_key_id, "CreationDate": created,
                "LastUpdatedDate": created}]
    if params.get("KeyId"):
        _key(caller, region, str(params["KeyId"]))
    return {"Aliases": aliases, "Truncated": False}


@operation("tagging", "GetResources")
def get_resources(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    tags = Tag.objects.filter(account=caller.account, region=region)
    arns = sorted(set(tags.values_list("resource_arn", flat=True)))
    for tag_filter in params.get("TagFilters", []):
        rows = tags.filter(key=tag_filter["Key"])
        if tag_filter.get("Values"):
            rows = rows.filter(value__in=tag_filter["Values"])
        wanted = set(rows.values_list("resource_arn", flat=True))
        arns = [a for a in arns if a in wanted]
    types = [str(t) for t in params.get("ResourceTypeFilters", [])]
    if types:
        def kind(arn: str) -> tuple[str, str]:
            parts = arn.split(":", 5)
            return parts[2], parts[5].split("/", 1)[0] if len(parts) > 5 else ""
        arns = [a for a in arns if any(
            kind(a)[0] == t.split(":")[0] and (":" not in t or kind(a)[1] == t.split(":")[1])
            for t in types)]
    items = [{"ResourceARN": arn, "Tags": [{"Key": t.key, "Value": t.value}
                                           for t in tags.filter(resource_arn=arn)]}
             for arn in arns]
    chunk, token = page(items, token=params.get("PaginationToken"),
                        size=params.get("ResourcesPerPage"), default=50, maximum=100,
                        invalid_code="InvalidParameterException")
    return {"ResourceTagMappingList": chunk, "PaginationToken": token}


@operation("cloudformation", "ListStackResources")
def list_stack_resources(*, caller: Caller, region: str, params: dict[str, Any]
                         ) -> dict[str, Any]:
    name = str(params.get("StackName", ""))
    product = (ProvisionedProduct.objects.filter(account=caller.account, region=region,
                                                 terminated=False)
               .filter(stack_name=name).first()
               or ProvisionedProduct.objects.filter(account=caller.account, region=region,
                                                    terminated=False, stack_id=name).first())
    if product is None:
        raise AwsError("ValidationError", f"Stack with id {name} does not exist")
    items = [{"LogicalResourceId": r.logical_id, "PhysicalResourceId": r.physical_id,
              "ResourceType": r.resource_type, "LastUpdatedTimestamp": product.created_at,
              "ResourceStatus": r.status} for r in product.resources.order_by("order")]
    chunk, token = page(items, token=params.get("NextToken"), size=None, default=100,
                        maximum=100, invalid_code="ValidationError")
    return {"StackResourceSummaries": chunk, **({"NextToken": token} if token else {})}
