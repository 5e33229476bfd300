"""An upstream Service Catalog described as data, queued onto a botocore Stubber in the order the
sync calls it (used by the sync tests and by bench/bench_catalog_sync.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber


@dataclass
class UpstreamProduct:
    product_id: str
    name: str
    portfolio_id: str = "port-aaaaaaaaaaaa1"
    description: str = "A notebook for tests"
    versions: list[dict[str, Any]] = field(default_factory=list)
    paths: list[dict[str, Any]] = field(default_factory=lambda: [{"Id": "lpv3-a1", "Name": "ML"}])
    parameters: list[dict[str, Any]] = field(default_factory=list)
    tag_options: list[dict[str, Any]] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, Any]:
        return {"Id": "prodview-" + self.product_id[5:], "ProductId": self.product_id,
                "Name": self.name, "Owner": "ML Platform", "ShortDescription": self.description,
                "Type": "CLOUD_FORMATION_TEMPLATE", "Distributor": "ML Platform"}


@dataclass
class Upstream:
    portfolios: list[dict[str, Any]]
    products: list[UpstreamProduct]
    shared_portfolios: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def all_portfolios(self) -> list[dict[str, Any]]:
        seen = {p["Id"]: p for p in self.portfolios}
        for shared in self.shared_portfolios.values():
            for p in shared:
                seen.setdefault(p["Id"], p)
        return list(seen.values())


def shares_stub(stubber: Stubber, shared: dict[str, list[dict[str, Any]]]) -> int:
    """ListAcceptedPortfolioShares for each share type the sync asks about (one page each)."""
    for share_type in ("IMPORTED", "AWS_ORGANIZATIONS"):
        stubber.add_response("list_accepted_portfolio_shares",
                             {"PortfolioDetails": shared.get(share_type, [])},
                             {"PortfolioShareType": share_type, "PageSize": 100})
    return 2


def version(artifact_id: str, name: str, *, guidance: str = "DEFAULT", active: bool = True,
            day: int = 1) -> dict[str, Any]:
    return {"Id": artifact_id, "Name": name, "Description": f"{name} release", "Active": active,
            "Guidance": guidance, "Type": "CLOUD_FORMATION_TEMPLATE",
            "CreatedTime": datetime(2026, 1, day, 9, 0, tzinfo=UTC)}


INSTANCE_TYPE = {
    "ParameterKey": "InstanceType", "ParameterType": "String", "IsNoEcho": False,
    "DefaultValue": "ml.t3.medium", "Description": "Compute size",
    "ParameterConstraints": {"AllowedValues": ["ml.t3.medium", "ml.m5.xlarge", "ml.p3.2xlarge"]},
}
VOLUME = {
    "ParameterKey": "VolumeSizeInGB", "ParameterType": "Number", "IsNoEcho": False,
    "DefaultValue": "20", "Description": "Volume",
    "ParameterConstraints": {"AllowedValues": [], "MinValue": "5", "MaxValue": "100"},
}


def upstream_make(*, products: int, versions: int = 3, portfolios: int = 1) -> Upstream:
    ports = [{"Id": f"port-{n:013d}", "DisplayName": f"Portfolio {n}",
              "ARN": f"arn:aws:catalog:eu-west-1:111111111111:portfolio/port-{n:013d}",
              "ProviderName": "ML Platform", "CreatedTime": datetime(2026, 1, 1, tzinfo=UTC)}
             for n in range(portfolios)]
    items = []
    for n in range(products):
        pid = f"prod-{n:013d}"
        items.append(UpstreamProduct(
            product_id=pid, name=f"Notebook {n:03d}", portfolio_id=ports[n % portfolios]["Id"],
            versions=[version(f"pa-{n:08d}{v:04d}", f"v{v + 1}",
                              guidance="DEPRECATED" if v < versions - 1 else "DEFAULT", day=v + 1)
                      for v in range(versions)],
            paths=[{"Id": f"lpv3-{n:010d}", "Name": "ML"}],
            parameters=[INSTANCE_TYPE, VOLUME],
        ))
    return Upstream(portfolios=ports, products=items)


def _pages(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


def upstream_stub(stubber: Stubber, upstream: Upstream, *, page_size: int = 20) -> int:
    """Queue every response the sync will ask for; return how many calls that is."""
    calls = 0
    pages = _pages(upstream.portfolios, page_size)
    for n, page in enumerate(pages):
        expected: dict[str, Any] = {"PageSize": 100}
        if n:
            expected["PageToken"] = f"portfolios-{n}"
        response: dict[str, Any] = {"PortfolioDetails": page}
        if n + 1 < len(pages):
            response["NextPageToken"] = f"portfolios-{n + 1}"
        stubber.add_response("list_portfolios", response, expected)
        calls += 1
    calls += shares_stub(stubber, upstream.shared_portfolios)
    ordered: list[UpstreamProduct] = []
    for portfolio in upstream.all_portfolios:
        mine = [p for p in upstream.products if p.portfolio_id == portfolio["Id"]]
        product_pages = _pages(mine, page_size)
        for n, page in enumerate(product_pages):
            expected = {"PortfolioId": portfolio["Id"], "PageSize": 20}
            if n:
                expected["PageToken"] = f"{portfolio['Id']}-{n}"
            response = {"ProductViewDetails": [
                {"ProductViewSummary": p.summary, "Status": "AVAILABLE"} for p in page]}
            if n + 1 < len(product_pages):
                response["NextPageToken"] = f"{portfolio['Id']}-{n + 1}"
            stubber.add_response("search_products_as_admin", response, expected)
            calls += 1
        ordered += [p for p in mine if p not in ordered]
    for product in ordered:
        calls += product_stub(stubber, product, page_size=page_size)
    return calls


def product_stub(stubber: Stubber, product: UpstreamProduct, *, page_size: int = 20) -> int:
    calls = 3
    stubber.add_response("describe_product_as_admin", {
        "ProductViewDetail": {"ProductViewSummary": product.summary, "Status": "CREATED"},
        "ProvisioningArtifactSummaries": [{"Id": v["Id"], "Name": v["Name"]}
                                          for v in product.versions],
        "TagOptions": product.tag_options,
    }, {"Id": product.product_id})
    stubber.add_response("list_provisioning_artifacts",
                         {"ProvisioningArtifactDetails": product.versions},
                         {"ProductId": product.product_id})
    path_pages = _pages(product.paths, page_size)
    calls += len(path_pages) - 1
    for n, page in enumerate(path_pages):
        expected: dict[str, Any] = {"ProductId": product.product_id, "PageSize": 20}
        if n:
            expected["PageToken"] = f"{product.product_id}-paths-{n}"
        response: dict[str, Any] = {"LaunchPathSummaries": page}
        if n + 1 < len(path_pages):
            response["NextPageToken"] = f"{product.product_id}-paths-{n + 1}"
        stubber.add_response("list_launch_paths", response, expected)
    first_path = sorted(p["Id"] for p in product.paths)[0] if product.paths else None
    for v in product.versions:
        if v.get("Active", True) and first_path:
            stubber.add_response("describe_provisioning_parameters", {
                "ProvisioningArtifactParameters": product.parameters,
                "ProvisioningArtifactOutputKeys": [{"Key": "NotebookInstanceName"}],
                "TagOptions": [],
            }, {"ProductId": product.product_id, "ProvisioningArtifactId": v["Id"],
                "PathId": first_path})
            calls += 1
    return calls


def stubbed_client(region: str = "eu-west-1") -> tuple[Any, Stubber]:
    client = boto3.client("servicecatalog", region_name=region)
    stubber = Stubber(client)
    stubber.activate()
    return client, stubber
