"""Service Catalog's owner transfer: UpdateProvisionedProductProperties (the leavers' hand-over).

Split from ``sc_provisioning`` (provision, update, terminate, search), whose product lookup and
state check it uses. Facts are in the comment below.
"""

from __future__ import annotations

import re
from typing import Any

from fakeaws.identity import Caller
from fakeaws.models import Record
from fakeaws.owner import owner_check
from fakeaws.services.registry import operation
from fakeaws.services.sc_provisioning import (
    provisioned_product_changeable,
    provisioned_product_of,
)
from fakeaws.services.servicecatalog import SC, invalid
from fakeaws.stacks import new_id, record_status, record_timing

# UpdateProvisionedProductProperties (Service Catalog API reference): ProvisionedProductId,
# ProvisionedProductProperties (a map) and IdempotencyToken are required; the OWNER key takes an
# IAM user, IAM role or STS assumed-role ARN of the same account (the owner is who may see,
# update, terminate the provisioned product; ListRecordHistory keeps the history), LAUNCH_ROLE a
# role ARN only. The answer is {ProvisionedProductId, ProvisionedProductProperties, RecordId,
# Status} (CREATED | IN_PROGRESS | SUCCEEDED | FAILED); the record's type is
# UPDATE_PROVISIONED_PRODUCT_PROPERTIES. Tags are not touched: the owner tag is the caller's.
_PROPERTY_TOKEN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{0,127}$")
PROPERTIES_RECORD = "UPDATE_PROVISIONED_PRODUCT_PROPERTIES"


def _principal_arn_ok(value: str, *, account: str, roles_only: bool) -> bool:
    role = re.match(rf"^arn:aws[a-z-]*:iam::{account}:role/[\w+=,.@/-]+$", value)
    if roles_only:
        return role is not None
    user = re.match(rf"^arn:aws[a-z-]*:iam::{account}:user/[\w+=,.@/-]+$", value)
    assumed = re.match(rf"^arn:aws[a-z-]*:sts::{account}:assumed-role/[\w+=,.@-]+/[\w+=,.@-]+$",
                       value)
    return bool(role or user or assumed)


@operation(SC, "UpdateProvisionedProductProperties")
def update_provisioned_product_properties(*, caller: Caller, region: str, params: dict[str, Any]
                                          ) -> dict[str, Any]:
    token = str(params.get("IdempotencyToken", ""))
    if not _PROPERTY_TOKEN.match(token):
        raise invalid("IdempotencyToken is required: 1-128 of [a-zA-Z0-9][a-zA-Z0-9_-]*.")
    properties = {str(k): str(v) for k, v in (params.get("ProvisionedProductProperties")
                                              or {}).items()}
    product = provisioned_product_of(caller, region, params)

    def answer(record: Record) -> dict[str, Any]:
        return {"ProvisionedProductId": product.pp_id, "RecordId": record.record_id,
                "ProvisionedProductProperties": {"OWNER": product.created_by},
                "Status": record_status(record)}

    again = Record.objects.filter(provision_token=token, product=product,
                                  record_type=PROPERTIES_RECORD).first()
    if again is not None:
        return answer(again)
    if not properties or set(properties) - {"OWNER", "LAUNCH_ROLE"}:
        raise invalid("ProvisionedProductProperties takes the keys OWNER and LAUNCH_ROLE.")
    for key, value in properties.items():
        if not _principal_arn_ok(value, account=caller.account, roles_only=key == "LAUNCH_ROLE"):
            raise invalid(f"{key} {value} is not a valid principal of this account.")
    owner_check(caller=caller, action="servicecatalog:UpdateProvisionedProductProperties",
                resource_arn=product.arn, tags=dict(product.tags),
                owner_arn=product.created_by)
    provisioned_product_changeable(product)
    created, visible, done = record_timing()
    record = Record.objects.create(
        record_id=new_id("rec-"), product=product, record_type=PROPERTIES_RECORD,
        provision_token=token, artifact_id=product.artifact_id, path_id=product.path_id,
        created_at=created, visible_at=visible, done_at=done,
        outputs=dict(product.outputs), exports=dict(product.exports),
        tags=dict(product.tags), previous_parameters=dict(product.parameters))
    if "OWNER" in properties:
        product.created_by = properties["OWNER"]
    product.save()
    return {**answer(record), "Status": "CREATED"}
