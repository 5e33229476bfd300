"""The local simulator's Service Catalog: the demo catalog, in the API's shapes, for any target."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from catalog import demo_catalog
from catalog.sources import ProductGone


def _fill(value: Any, *, account: str, region: str) -> Any:
    if isinstance(value, str):
        return value.replace("{account}", account).replace("{region}", region)
    if isinstance(value, list):
        return [_fill(v, account=account, region=region) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, account=account, region=region) for k, v in value.items()}
    return value


class SimulatorCatalogSource:
    """Answers like Service Catalog would for the demo portfolio in ``aws_account_id``."""

    def __init__(self, *, aws_account_id: str, aws_region: str) -> None:
        self.account = aws_account_id
        self.region = aws_region
        self.calls = 0

    def _product(self, product_id: str) -> dict[str, Any]:
        self.calls += 1
        for product in demo_catalog.PRODUCTS:
            if product["summary"]["ProductId"] == product_id:
                filled: dict[str, Any] = _fill(
                    copy.deepcopy(product), account=self.account, region=self.region
                )
                return filled
        raise ProductGone(operation="simulator", code="ResourceNotFoundException",
                          message=f"Product {product_id} not found")

    def portfolios(self) -> list[dict[str, Any]]:
        self.calls += 1
        return [_fill(dict(demo_catalog.PORTFOLIO), account=self.account, region=self.region)]

    def portfolio_products(self, *, portfolio_id: str) -> list[dict[str, Any]]:
        self.calls += 1
        if portfolio_id != demo_catalog.PORTFOLIO["Id"]:
            return []
        return [dict(p["summary"]) for p in demo_catalog.PRODUCTS]

    def product(self, *, product_id: str) -> dict[str, Any]:
        product = self._product(product_id)
        tag_options = [t for t in demo_catalog.TAG_OPTIONS if t["Id"] in product["tag_options"]]
        return {
            "ProductViewDetail": {"ProductViewSummary": product["summary"], "Status": "CREATED"},
            "ProvisioningArtifactSummaries": [
                {"Id": v["Id"], "Name": v["Name"], "Description": v["Description"]}
                for v in product["versions"]
            ],
            "TagOptions": [dict(t) for t in tag_options],
        }

    def versions(self, *, product_id: str) -> list[dict[str, Any]]:
        product = self._product(product_id)
        return [{k: v for k, v in version.items() if k != "parameters"}
                for version in product["versions"]]

    def launch_paths(self, *, product_id: str) -> list[dict[str, Any]]:
        self._product(product_id)
        return [{
            "Id": f"lpv3-{product_id[5:]}",
            "Name": demo_catalog.PORTFOLIO["DisplayName"],
            "ConstraintSummaries": [{"Type": "LAUNCH",
                                     "Description": "Launched with the portal's launch role"}],
            "Tags": [],
        }]

    def parameters(self, *, product_id: str, artifact_id: str, path_id: str) -> dict[str, Any]:
        product = self._product(product_id)
        for version in product["versions"]:
            if version["Id"] == artifact_id:
                tag_options: dict[str, list[str]] = {}
                for option in demo_catalog.TAG_OPTIONS:
                    if option["Id"] in product["tag_options"]:
                        tag_options.setdefault(str(option["Key"]), []).append(
                            str(option["Value"]))
                return {
                    "ProvisioningArtifactParameters": version["parameters"],
                    "TagOptions": [{"Key": k, "Values": v} for k, v in tag_options.items()],
                    "ProvisioningArtifactOutputKeys": [{"Key": k} for k in product["outputs"]],
                    "UsageInstructions": [],
                }
        raise ProductGone(operation="simulator", code="ResourceNotFoundException",
                          message=f"Provisioning artifact {artifact_id} not found")

    def prices(self) -> dict[str, Decimal]:
        return dict(demo_catalog.PRICES)
