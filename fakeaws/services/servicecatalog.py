"""Service Catalog, the catalog side: portfolios, products, versions, launch paths, parameters.

Facts (Service Catalog API reference; botocore's model, the PageSize shapes): list operations page
with PageToken/PageSize (max 100 for ListPortfolios and ListAcceptedPortfolioShares, 20 for
SearchProductsAsAdmin and ListLaunchPaths) and answer NextPageToken; an unknown id answers
ResourceNotFoundException; DescribeProvisioningParameters answers the template's parameters, the
TagOptions of the portfolio and the product as ``{Key, Values}``, the launch path's constraint
summaries and the template's output keys.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from fakeaws.catalog.definition import Portfolio, Product, TagOption, Version, catalog_load
from fakeaws.cfn import Template, provisioning_parameter
from fakeaws.identity import Caller
from fakeaws.protocol import AwsError
from fakeaws.services.paging import page
from fakeaws.services.registry import operation

SC = "servicecatalog"


def not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message)


def invalid(message: str) -> AwsError:
    return AwsError("InvalidParametersException", message)


@functools.cache
def _template(path: str, mtime: float) -> Template:
    return Template.load(Path(path).read_text())


def template_for(version: Version) -> Template:
    return _template(str(version.template), version.template.stat().st_mtime)


def product_get(product_id: Any) -> Product:
    product = catalog_load().product(str(product_id or ""))
    if product is None:
        raise not_found(f"Product {product_id} not found.")
    return product


def version_get(product: Product, artifact_id: Any) -> Version:
    version = next((v for v in product.versions if v.id == artifact_id), None)
    if version is None:
        raise not_found(f"Provisioning artifact {artifact_id} not found for product "
                        f"{product.id}.")
    return version


def path_get(product: Product, path_id: Any) -> Any:
    if not path_id:
        if len(product.launch_paths) == 1:
            return product.launch_paths[0]
        # More than one path: Service Catalog cannot choose for the caller.
        raise invalid("PathId is required when the product has more than one launch path.")
    path = next((p for p in product.launch_paths if p.id == path_id), None)
    if path is None:
        raise not_found(f"Launch path {path_id} not found for product {product.id}.")
    return path


def tag_updates_for(product_id: str, path_id: str) -> str:
    """TagUpdateOnProvisionedProduct of the RESOURCE_UPDATE constraint on the product in the
    launch path's portfolio ("" without one)."""
    path = next((p for p in product_get(product_id).launch_paths if p.id == path_id), None)
    return path.tag_updates if path is not None else ""


def _portfolio_detail(portfolio: Portfolio, caller: Caller, region: str) -> dict[str, Any]:
    return {"Id": portfolio.id, "DisplayName": portfolio.name,
            "ARN": f"arn:aws:catalog:{region}:{caller.account}:portfolio/{portfolio.id}",
            "Description": portfolio.description, "CreatedTime": portfolio.created,
            "ProviderName": portfolio.provider}


def product_arn(product: Product, caller: Caller, region: str) -> str:
    return f"arn:aws:catalog:{region}:{caller.account}:product/{product.id}"


def _summary(product: Product) -> dict[str, Any]:
    return {"Id": product.view_id, "ProductId": product.id, "Name": product.name,
            "Owner": product.owner, "ShortDescription": product.description,
            "Type": "CLOUD_FORMATION_TEMPLATE", "Distributor": product.distributor,
            "HasDefaultPath": len(product.launch_paths) == 1,
            "SupportEmail": product.support_email,
            "SupportDescription": product.support_description}


def _portfolios_answer(caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    items = [_portfolio_detail(p, caller, region) for p in catalog_load().portfolios]
    # ListPortfolios and ListAcceptedPortfolioShares take up to 100 per page (botocore's model:
    # PageSizeMax100, 0-100), unlike the product and launch-path lists (PageSize, 0-20).
    chunk, token = page(items, token=params.get("PageToken"), size=params.get("PageSize"),
                        default=20, maximum=100)
    return {"PortfolioDetails": chunk, **({"NextPageToken": token} if token else {})}


@operation(SC, "ListPortfolios")
def list_portfolios(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    return _portfolios_answer(caller, region, params)


@operation(SC, "ListAcceptedPortfolioShares")
def list_accepted_portfolio_shares(*, caller: Caller, region: str, params: dict[str, Any]
                                   ) -> dict[str, Any]:
    # The demo's portfolio is shared from the hub account and accepted (IMPORTED) everywhere.
    if params.get("PortfolioShareType", "IMPORTED") == "AWS_SERVICECATALOG":
        return {"PortfolioDetails": []}
    return _portfolios_answer(caller, region, params)


@operation(SC, "SearchProductsAsAdmin")
def search_products_as_admin(*, caller: Caller, region: str, params: dict[str, Any]
                             ) -> dict[str, Any]:
    catalog = catalog_load()
    products = catalog.products
    if params.get("PortfolioId"):
        portfolio = catalog.portfolio(str(params["PortfolioId"]))
        if portfolio is None:
            raise not_found(f"Portfolio {params['PortfolioId']} not found.")
        products = [p for p in products if p.id in portfolio.products]
    words = [w.lower() for w in params.get("Filters", {}).get("FullTextSearch", [])]
    if words:
        products = [p for p in products if any(w in (p.name + p.description).lower()
                                               for w in words)]
    details = [{"ProductViewSummary": _summary(p), "Status": "CREATED",
                "ProductARN": product_arn(p, caller, region), "CreatedTime": p.created}
               for p in products]
    chunk, token = page(details, token=params.get("PageToken"), size=params.get("PageSize"),
                        default=20, maximum=20)
    return {"ProductViewDetails": chunk, **({"NextPageToken": token} if token else {})}


def tag_options_of(product: Product) -> list[TagOption]:
    """The product's TagOptions and those of every portfolio holding it."""
    found: list[TagOption] = []
    for portfolio in catalog_load().portfolios:
        if product.id in portfolio.products:
            found += portfolio.tag_options
    return found + product.tag_options


@operation(SC, "DescribeProductAsAdmin")
def describe_product_as_admin(*, caller: Caller, region: str, params: dict[str, Any]
                              ) -> dict[str, Any]:
    if params.get("Id"):
        product = product_get(params["Id"])
    else:
        product = next((p for p in catalog_load().products if p.name == params.get("Name")),
                       None) or product_get(params.get("Name"))
    return {
        "ProductViewDetail": {"ProductViewSummary": _summary(product), "Status": "CREATED",
                              "ProductARN": product_arn(product, caller, region),
                              "CreatedTime": product.created},
        "ProvisioningArtifactSummaries": [
            {"Id": v.id, "Name": v.name, "Description": v.description, "CreatedTime": v.created}
            for v in product.versions],
        "Tags": [{"Key": k, "Value": v} for k, v in product.product_tags.items()],
        # Only the product's own TagOptions here; portfolio ones arrive with the launch path.
        "TagOptions": [{"Key": t.key, "Value": t.value, "Active": True, "Id": t.id}
                       for t in product.tag_options],
        "Budgets": [],
    }


@operation(SC, "ListProvisioningArtifacts")
def list_provisioning_artifacts(*, caller: Caller, region: str, params: dict[str, Any]
                                ) -> dict[str, Any]:
    product = product_get(params.get("ProductId"))
    return {"ProvisioningArtifactDetails": [
        {"Id": v.id, "Name": v.name, "Description": v.description,
         "Type": "CLOUD_FORMATION_TEMPLATE", "CreatedTime": v.created, "Active": True,
         "Guidance": v.guidance} for v in product.versions]}


def constraint_summaries(path: Any) -> list[dict[str, str]]:
    """The path's ConstraintSummaries ({Type, Description}: a RESOURCE_UPDATE summary does not
    say whether it allows tag updates; DescribeConstraint's parameters would)."""
    found = []
    if path.launch_constraint:
        found.append({"Type": "LAUNCH", "Description": "Launched with the platform's launch role."})
    if path.tag_updates:
        found.append({"Type": "RESOURCE_UPDATE",
                      "Description": f"Tag updates on provisioned products: {path.tag_updates}."})
    return found


@operation(SC, "ListLaunchPaths")
def list_launch_paths(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    product = product_get(params.get("ProductId"))
    catalog = catalog_load()
    items = []
    for path in product.launch_paths:
        portfolio = catalog.portfolio(path.portfolio)
        items.append({"Id": path.id, "ConstraintSummaries": constraint_summaries(path),
                      "Tags": [], "Name": portfolio.name if portfolio else path.portfolio})
    chunk, token = page(items, token=params.get("PageToken"), size=params.get("PageSize"),
                        default=20, maximum=20)
    return {"LaunchPathSummaries": chunk, **({"NextPageToken": token} if token else {})}


@operation(SC, "DescribeProvisioningParameters")
def describe_provisioning_parameters(*, caller: Caller, region: str, params: dict[str, Any]
                                     ) -> dict[str, Any]:
    product = product_get(params.get("ProductId"))
    version = version_get(product, params.get("ProvisioningArtifactId"))
    path = path_get(product, params.get("PathId"))
    template = template_for(version)
    grouped: dict[str, list[str]] = {}
    for option in tag_options_of(product):
        grouped.setdefault(option.key, []).append(option.value)
    return {
        "ProvisioningArtifactParameters": [provisioning_parameter(d)
                                           for d in template.parameters],
        "ConstraintSummaries": constraint_summaries(path),
        "UsageInstructions": [{"Type": "rules", "Value": "{}"}],
        "TagOptions": [{"Key": k, "Values": v} for k, v in grouped.items()],
        "ProvisioningArtifactPreferences": {},
        "ProvisioningArtifactOutputs": [{"Key": k} for k in template.output_keys],
        "ProvisioningArtifactOutputKeys": [{"Key": k} for k in template.output_keys],
    }
