"""The fake's account-wide lists page as AWS does: bounded pages, opaque tokens, refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fakeaws import clock
from fakeaws.models import NotebookInstance, ProvisionedProduct
from tests.fakeaws.conftest import PROJECT_ACCOUNT, REGION

pytestmark = pytest.mark.django_db
ACCOUNT_LEVEL = {"Key": "Account", "Value": "self"}


def notebooks_make(count: int, *, account: str = PROJECT_ACCOUNT) -> None:
    now = clock.now()
    NotebookInstance.objects.bulk_create(
        NotebookInstance(account=account, region=REGION, name=f"nb-{i:03d}", status="InService",
                         arn=f"arn:aws:sagemaker:{REGION}:{account}:notebook-instance/nb-{i:03d}",
                         instance_type="ml.t3.medium", role_arn="arn:aws:iam::1:role/r",
                         created_at=now - timedelta(minutes=count - i), modified_at=now)
        for i in range(count))


def products_make(count: int, *, account: str = PROJECT_ACCOUNT) -> None:
    now = clock.now()
    ProvisionedProduct.objects.bulk_create(
        ProvisionedProduct(account=account, region=REGION, pp_id=f"pp-{account}-{i:03d}",
                           name=f"pp-{i:03d}", arn=f"arn:pp-{i}", status="AVAILABLE",
                           product_id="prod-x", artifact_id="pa-x", stack_name=f"s-{i}",
                           stack_id=f"arn:stack-{i}", created_by="arn:someone",
                           created_at=now - timedelta(minutes=count - i))
        for i in range(count))


def all_pages(call: Any, items_key: str, token_in: str, token_out: str, **kwargs: Any
              ) -> list[list[Any]]:
    pages = []
    while True:
        answer = call(**kwargs)
        pages.append(answer[items_key])
        if not answer.get(token_out):
            return pages
        kwargs[token_in] = answer[token_out]


def test_list_notebook_instances_pages_the_whole_account_by_at_most_100(
        project_client: Any) -> None:
    notebooks_make(250)
    notebooks_make(3, account="222222222222")  # another account: never listed here
    sm = project_client("sagemaker")
    pages = all_pages(sm.list_notebook_instances, "NotebookInstances", "NextToken", "NextToken",
                      MaxResults=100)
    assert [len(p) for p in pages] == [100, 100, 50]
    names = [n["NotebookInstanceName"] for p in pages for n in p]
    assert names == sorted(names) and len(set(names)) == 250  # by name, none twice
    assert len(sm.list_notebook_instances()["NotebookInstances"]) == 10  # the default page
    # botocore checks only the model's minimum; AWS refuses more than the maximum, 100.
    with pytest.raises(ClientError) as caught:
        sm.list_notebook_instances(MaxResults=101)
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_list_notebook_instances_refuses_a_token_it_did_not_issue(project_client: Any) -> None:
    sm = project_client("sagemaker")
    with pytest.raises(ClientError) as caught:
        sm.list_notebook_instances(NextToken="not-a-token")
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_search_provisioned_products_pages_the_account_by_at_most_100(
        project_client: Any) -> None:
    products_make(230)
    sc = project_client("servicecatalog")
    pages = all_pages(sc.search_provisioned_products, "ProvisionedProducts", "PageToken",
                      "NextPageToken", AccessLevelFilter=ACCOUNT_LEVEL, PageSize=100)
    assert [len(p) for p in pages] == [100, 100, 30]
    assert len({p["Id"] for page in pages for p in page}) == 230
    first = sc.search_provisioned_products(AccessLevelFilter=ACCOUNT_LEVEL)
    assert len(first["ProvisionedProducts"]) == 20 and first["TotalResultsCount"] == 230
    with pytest.raises(ClientError) as caught:  # the model's maximum is 100
        sc.search_provisioned_products(AccessLevelFilter=ACCOUNT_LEVEL, PageSize=101)
    assert caught.value.response["Error"]["Code"] == "InvalidParametersException"


def test_search_provisioned_products_refuses_a_token_it_did_not_issue(
        project_client: Any) -> None:
    sc = project_client("servicecatalog")
    with pytest.raises(ClientError) as caught:
        sc.search_provisioned_products(AccessLevelFilter=ACCOUNT_LEVEL, PageToken="bogus")
    assert caught.value.response["Error"]["Code"] == "InvalidParametersException"
