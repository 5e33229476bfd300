"""Where the catalog sync reads Service Catalog from: boto3, with the shapes of the Service
Catalog API (``PortfolioDetail``, ``ProductViewSummary``, ``ProvisioningArtifactDetail`` …).

One implementation; in the demo and the tests boto3 talks to the fake AWS through the client hook
the settings attach. ``CatalogSource`` is the interface the sync codes against (tests hand it
sources of their own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from portal.aws import aws_client
from portal.aws_errors import AwsErrorKind, aws_failure_classify
from portal.models import Project

SHARE_TYPES = ("IMPORTED", "AWS_ORGANIZATIONS")
PAGE_SIZE = 20  # the largest page SearchProductsAsAdmin and ListLaunchPaths accept


class CatalogSourceError(Exception):
    """A Service Catalog call failed for good (after botocore's retries when it was throttled).

    ``message`` carries no ARNs or account ids (``portal.aws_errors.aws_text_redact``)."""

    def __init__(self, *, operation: str, code: str, message: str) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.operation = operation
        self.code = code
        self.message = message


class ProductGone(CatalogSourceError):
    """The product vanished between listing and describing it; the sync retires it."""


@dataclass(frozen=True)
class SyncTarget:
    """An AWS account and region, reached through one of the projects mapped to it."""

    aws_account_id: str
    aws_region: str
    project: Project

    def __str__(self) -> str:
        return f"{self.aws_account_id}/{self.aws_region}"


class CatalogSource(Protocol):
    def portfolios(self) -> list[dict[str, Any]]: ...

    def portfolio_products(self, *, portfolio_id: str) -> list[dict[str, Any]]: ...

    def product(self, *, product_id: str) -> dict[str, Any]: ...

    def versions(self, *, product_id: str) -> list[dict[str, Any]]: ...

    def launch_paths(self, *, product_id: str) -> list[dict[str, Any]]: ...

    def parameters(self, *, product_id: str, artifact_id: str, path_id: str) -> dict[str, Any]: ...


class AwsCatalogSource:
    """Service Catalog through boto3. Every list call follows its page tokens to the end.

    No retry loop here: botocore's adaptive retries (``PORTAL_AWS_MAX_ATTEMPTS``) are the only
    ones. A call that still fails after them (throttled for longer, a validation or access error)
    raises ``CatalogSourceError`` and the sync reports the target and skips it.
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls = 0

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        self.calls += 1
        try:
            response: dict[str, Any] = getattr(self.client, operation)(**params)
        except (ClientError, BotoCoreError) as exc:
            failure = aws_failure_classify(operation=operation, exc=exc)
            error_class = (
                ProductGone if failure.kind == AwsErrorKind.NOT_FOUND else CatalogSourceError
            )
            raise error_class(operation=operation, code=failure.code,
                              message=failure.message) from exc
        return response

    def _pages(self, operation: str, items_key: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token = None
        while True:
            page = self._call(operation, **params, **({"PageToken": token} if token else {}))
            items.extend(page.get(items_key, []))
            token = page.get("NextPageToken")
            if not token:
                return items

    def portfolios(self) -> list[dict[str, Any]]:
        """The account's own portfolios and those shared with it (hub-and-spoke setups share
        one portfolio from a central account, directly or through AWS Organizations)."""
        found = {p["Id"]: p for p in self._pages("list_portfolios", "PortfolioDetails",
                                                  PageSize=100)}
        for share_type in SHARE_TYPES:
            for portfolio in self._pages("list_accepted_portfolio_shares", "PortfolioDetails",
                                         PortfolioShareType=share_type, PageSize=100):
                found.setdefault(portfolio["Id"], portfolio)
        return list(found.values())

    def portfolio_products(self, *, portfolio_id: str) -> list[dict[str, Any]]:
        details = self._pages(
            "search_products_as_admin", "ProductViewDetails",
            PortfolioId=portfolio_id, PageSize=PAGE_SIZE,
        )
        return [d["ProductViewSummary"] for d in details if "ProductViewSummary" in d]

    def product(self, *, product_id: str) -> dict[str, Any]:
        return self._call("describe_product_as_admin", Id=product_id)

    def versions(self, *, product_id: str) -> list[dict[str, Any]]:
        # ListProvisioningArtifacts takes no page token: it answers with every artifact at once.
        response = self._call("list_provisioning_artifacts", ProductId=product_id)
        details: list[dict[str, Any]] = response.get("ProvisioningArtifactDetails", [])
        return details

    def launch_paths(self, *, product_id: str) -> list[dict[str, Any]]:
        return self._pages(
            "list_launch_paths", "LaunchPathSummaries", ProductId=product_id, PageSize=PAGE_SIZE
        )

    def parameters(self, *, product_id: str, artifact_id: str, path_id: str) -> dict[str, Any]:
        return self._call(
            "describe_provisioning_parameters",
            ProductId=product_id, ProvisioningArtifactId=artifact_id, PathId=path_id,
        )


def catalog_source_for(target: SyncTarget) -> CatalogSource:
    """Service Catalog in the target's account and region (through the project's role)."""
    return AwsCatalogSource(aws_client("servicecatalog", project=target.project))
