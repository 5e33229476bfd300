"""Read-only calls of the aws backend that find what a provisioned product created.

``provisioning.resolve`` uses them to tie an environment to its notebook instance or Studio user
profile: exact describes (NotFound when absent), paginated lists, a resource's tags, a stack's
resources and the Resource Groups Tagging API. Every list call follows its pagination token to the
last page (SageMaker's ``NextToken``, CloudFormation's ``NextToken``, GetResources'
``PaginationToken``), so a match on a later page is never missed.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any


class ResourceDiscoveryCalls:
    """Mixed into ``AwsBackend``, which provides ``_client`` and ``_errors``."""

    def _client(self, service: str) -> Any:  # pragma: no cover - provided by AwsBackend
        raise NotImplementedError

    def _errors(self, operation: str) -> AbstractContextManager[None]:  # pragma: no cover
        raise NotImplementedError


    def notebook_describe(self, *, notebook_name: str) -> tuple[str, str]:
        """(name, ARN) of the notebook instance with exactly this name; raises NotFound."""
        with self._errors("DescribeNotebookInstance"):
            response = self._client("sagemaker").describe_notebook_instance(
                NotebookInstanceName=notebook_name)
        return str(response["NotebookInstanceName"]), str(response["NotebookInstanceArn"])

    def resource_tags_add(self, *, arn: str, tags: dict[str, str]) -> None:
        """SageMaker AddTags: adds the tags, overwriting the value of a key already there
        (SageMaker API reference: "Adds or overwrites one or more tags")."""
        with self._errors("AddTags"):
            self._client("sagemaker").add_tags(
                ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])

    def notebooks_list(self, *, name_contains: str = "") -> list[tuple[str, str]]:
        """(name, ARN) of every notebook instance of the account and region (all pages)."""
        client = self._client("sagemaker")
        kwargs: dict[str, Any] = {"MaxResults": 100}
        if name_contains:
            kwargs["NameContains"] = name_contains
        found: list[tuple[str, str]] = []
        with self._errors("ListNotebookInstances"):
            while True:
                response = client.list_notebook_instances(**kwargs)
                found.extend((str(n["NotebookInstanceName"]), str(n["NotebookInstanceArn"]))
                             for n in response.get("NotebookInstances", []))
                if not response.get("NextToken"):
                    return found
                kwargs["NextToken"] = response["NextToken"]

    def user_profile_describe(self, *, domain_id: str, user_profile_name: str
                              ) -> tuple[str, str, str]:
        """(domain id, profile name, ARN) of exactly this profile; raises NotFound."""
        with self._errors("DescribeUserProfile"):
            response = self._client("sagemaker").describe_user_profile(
                DomainId=domain_id, UserProfileName=user_profile_name)
        return (str(response["DomainId"]), str(response["UserProfileName"]),
                str(response["UserProfileArn"]))

    def user_profile_names(self, *, domain_id: str) -> list[str]:
        """The names of the domain's user profiles (all pages)."""
        client = self._client("sagemaker")
        kwargs: dict[str, Any] = {"DomainIdEquals": domain_id, "MaxResults": 100}
        names: list[str] = []
        with self._errors("ListUserProfiles"):
            while True:
                response = client.list_user_profiles(**kwargs)
                names.extend(str(p["UserProfileName"]) for p in response.get("UserProfiles", []))
                if not response.get("NextToken"):
                    return names
                kwargs["NextToken"] = response["NextToken"]

    def resource_tags(self, *, arn: str) -> dict[str, str]:
        """The tags of a SageMaker resource (ListTags, all pages)."""
        client = self._client("sagemaker")
        kwargs: dict[str, Any] = {"ResourceArn": arn, "MaxResults": 100}
        tags: dict[str, str] = {}
        with self._errors("ListTags"):
            while True:
                response = client.list_tags(**kwargs)
                tags.update({str(t["Key"]): str(t.get("Value", ""))
                             for t in response.get("Tags", [])})
                if not response.get("NextToken"):
                    return tags
                kwargs["NextToken"] = response["NextToken"]

    def stack_resources(self, *, stack: str) -> list[tuple[str, str, str]]:
        """(logical id, physical id, type) of a stack's resources (ListStackResources pages).

        CloudFormation's physical id of an AWS::SageMaker::NotebookInstance or ::UserProfile is
        what ``Ref`` returns: the resource's ARN.
        """
        client = self._client("cloudformation")
        kwargs: dict[str, Any] = {"StackName": stack}
        found: list[tuple[str, str, str]] = []
        with self._errors("ListStackResources"):
            while True:
                response = client.list_stack_resources(**kwargs)
                found.extend((str(r.get("LogicalResourceId", "")),
                              str(r.get("PhysicalResourceId", "")), str(r.get("ResourceType", "")))
                             for r in response.get("StackResourceSummaries", []))
                if not response.get("NextToken"):
                    return found
                kwargs["NextToken"] = response["NextToken"]

    def tagged_resources(self, *, key: str, value: str = "",
                         resource_types: Sequence[str] = ()) -> list[tuple[str, dict[str, str]]]:
        """(ARN, tags) of the resources carrying tag ``key`` (= ``value`` when given), through
        the Resource Groups Tagging API's GetResources (all pages)."""
        client = self._client("resourcegroupstaggingapi")
        tag_filter: dict[str, Any] = {"Key": key}
        if value:
            tag_filter["Values"] = [value]
        kwargs: dict[str, Any] = {"TagFilters": [tag_filter], "ResourcesPerPage": 100}
        if resource_types:
            kwargs["ResourceTypeFilters"] = list(resource_types)
        found: list[tuple[str, dict[str, str]]] = []
        with self._errors("GetResources"):
            while True:
                response = client.get_resources(**kwargs)
                found.extend(
                    (str(m["ResourceARN"]),
                     {str(t["Key"]): str(t.get("Value", "")) for t in m.get("Tags", [])})
                    for m in response.get("ResourceTagMappingList", []))
                if not response.get("PaginationToken"):
                    return found
                kwargs["PaginationToken"] = response["PaginationToken"]
