"""In a real browser: the request form offers the project account's subnets and security groups
(read from the fake AWS) as a select and a multi-select, and the request carries the choice."""

from __future__ import annotations

import os
from typing import Any

import pytest

from approvals.models import Request
from catalog.models import Product, SyncRun
from catalog.sync import catalog_sync, sync_run_start
from fakeaws.baseline import baseline_for
from portal.models import Project, User
from tests.e2e.conftest import sign_in_through_idp

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_request_form_offers_the_accounts_subnets_and_security_groups(
    page: Any, live_server: Any, live_idp: Any, scientist: User, project: Project,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from approvals.services import workflow

    monkeypatch.setattr(workflow, "request_hand_off", lambda *, request: None)
    url = live_server.url
    assert catalog_sync(run=sync_run_start(trigger=SyncRun.Trigger.COMMAND)).status == "succeeded"
    Product.objects.update(published=True)  # the network parameters are not fixed by the admin
    product = Product.objects.get(product_id="prod-mldemonb0001", aws_account_id="111111111111")
    base = baseline_for(account=project.aws_account_id, region=project.aws_region)

    sign_in_through_idp(page, url, "dana.scientist")
    page.goto(f"{url}/requests/new?product={product.pk}")
    subnets = page.eval_on_selector_all("select[name=SubnetId] option",
                                        "options => options.map(o => o.value)")
    assert set(subnets) - {""} == {s["SubnetId"] for s in base.subnets}
    groups = page.locator("select[name=SecurityGroupIds]")
    assert groups.get_attribute("multiple") is not None
    chosen_subnet = base.subnets[-1]["SubnetId"]
    all_groups = [g["GroupId"] for g in base.security_groups]
    page.select_option("select[name=SubnetId]", chosen_subnet)
    page.select_option("select[name=SecurityGroupIds]", all_groups)
    page.fill("[name=NotebookInstanceName]", "dana-net-1")
    page.fill("[name=KmsKeyId]", base.kms_alias)  # a String parameter in this template: text
    for select in page.locator("select[name^='req-tag:']").all():
        options = select.locator("option").all()
        select.select_option(options[-1].get_attribute("value"))
    page.fill("[name=req-justification]", "A notebook in the private subnet.")
    with page.expect_navigation():
        page.click("#submit-request")
    assert Request.objects.exists(), page.inner_text("main")[:2000]
    request = Request.objects.get()
    assert request.parameters["SubnetId"] == chosen_subnet
    assert request.parameters["SecurityGroupIds"] == ",".join(all_groups)
