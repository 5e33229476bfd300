"""Read one AWS target's catalog into a snapshot, before anything is written.

Portfolios → products → provisioning artifacts → launch paths → parameters and TagOptions. The
parameters and TagOptions of every active version are read through the one launch path
provisioning uses (``catalog.checks.launch_path_choose``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from catalog.checks import launch_path_choose
from catalog.sources import CatalogSource, ProductGone

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class ProductSnapshot:
    summary: dict[str, Any]
    portfolio_ids: set[str] = field(default_factory=set)
    tag_options: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    launch_paths: list[dict[str, Any]] = field(default_factory=list)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)  # by artifact id
    launch_tag_options: dict[str, list[str]] | None = None  # from the launch path's parameters


@dataclass
class TargetSnapshot:
    portfolios: list[dict[str, Any]] = field(default_factory=list)
    products: dict[str, ProductSnapshot] = field(default_factory=dict)


def target_snapshot(*, source: CatalogSource, progress: Progress | None = None) -> TargetSnapshot:
    """Read everything the catalog needs from one target. Raises CatalogSourceError."""
    snapshot = TargetSnapshot(portfolios=source.portfolios())
    for portfolio in snapshot.portfolios:
        for summary in source.portfolio_products(portfolio_id=portfolio["Id"]):
            product_id = summary["ProductId"]
            entry = snapshot.products.setdefault(product_id, ProductSnapshot(summary=summary))
            entry.portfolio_ids.add(portfolio["Id"])
    for product_id in list(snapshot.products):
        entry = snapshot.products[product_id]
        try:
            described = source.product(product_id=product_id)
            entry.summary = described.get("ProductViewDetail", {}).get(
                "ProductViewSummary", entry.summary
            )
            entry.tag_options = described.get("TagOptions", [])
            entry.versions = source.versions(product_id=product_id)
            entry.launch_paths = source.launch_paths(product_id=product_id)
            path = launch_path_choose(entry.launch_paths)  # the one provisioning uses
            for version in entry.versions:
                if version.get("Active", True) and path:
                    described = source.parameters(
                        product_id=product_id, artifact_id=version["Id"], path_id=path["Id"]
                    )
                    entry.parameters[version["Id"]] = described
                    tag_options = entry.launch_tag_options or {}
                    for option in described.get("TagOptions") or []:
                        known = tag_options.setdefault(str(option["Key"]), [])
                        known.extend(str(v) for v in option.get("Values", []) if v not in known)
                    entry.launch_tag_options = {k: sorted(v) for k, v in tag_options.items()}
        except ProductGone:
            logger.info("Product %s vanished during the sync; it will be retired", product_id)
            del snapshot.products[product_id]
            continue
        if progress:
            count = len(entry.versions)
            progress(f"  read {entry.summary.get('Name', product_id)} "
                     f"({count} version{'' if count == 1 else 's'})")
    return snapshot
