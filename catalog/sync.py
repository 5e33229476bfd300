"""Sync the catalog from Service Catalog, one AWS target at a time.

For each target the sync first reads everything (portfolios → products → provisioning artifacts →
launch paths → parameters and TagOptions) into a snapshot, then applies it in one transaction,
comparing before writing: a second run with nothing changed upstream writes nothing. Rows gone
upstream are retired, never deleted. A target whose reads fail is reported and left untouched; the
other targets carry on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from catalog.checks import product_flags
from catalog.findability import target_findability_flags
from catalog.models import (
    OUTPUT_FIELDS,
    LaunchPath,
    ParameterSpec,
    Portfolio,
    Product,
    ProductVersion,
    SyncRun,
    TagOption,
)
from catalog.parameters import pattern_error
from catalog.snapshot import ProductSnapshot, TargetSnapshot, target_snapshot
from catalog.sources import CatalogSource, CatalogSourceError, SyncTarget
from portal.models import Project, User
from portal.services import audit_record

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
SourceFactory = Callable[[SyncTarget], CatalogSource]


@dataclass
class SyncCounts:
    added: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    retired: Counter[str] = field(default_factory=Counter)
    warnings: list[dict[str, str]] = field(default_factory=list)

    def total(self, which: str) -> int:
        return sum(getattr(self, which).values())

    def describe(self) -> str:
        parts = []
        for which in ("added", "updated", "retired"):
            counter: Counter[str] = getattr(self, which)
            detail = ", ".join(f"{n} {kind}" for kind, n in sorted(counter.items()) if n)
            parts.append(f"{which} {self.total(which)}" + (f" ({detail})" if detail else ""))
        return "; ".join(parts)


def sync_targets() -> list[SyncTarget]:
    """Distinct account/region pairs of active projects; a project with a role is preferred."""
    targets: dict[tuple[str, str], SyncTarget] = {}
    for project in Project.objects.filter(active=True).order_by("pk"):
        key = (project.aws_account_id, project.aws_region)
        known = targets.get(key)
        if known is None or (not known.project.aws_role_arn and project.aws_role_arn):
            targets[key] = SyncTarget(project.aws_account_id, project.aws_region, project)
    return [targets[key] for key in sorted(targets)]


def _changed(obj: models.Model, values: dict[str, Any]) -> list[str]:
    return [name for name, value in values.items() if getattr(obj, name) != value]


def _upsert(
    existing: dict[Any, Any], key: Any, model: type[models.Model], values: dict[str, Any],
    create: dict[str, Any], counts: SyncCounts, label: str,
) -> Any:
    """Create the row, or update only the fields that differ; un-retire what reappears."""
    values = {**values, "retired_at": None} if hasattr(model, "retired_at") else values
    obj = existing.get(key)
    if obj is None:
        obj = model(**create, **values)
        obj.save()
        existing[key] = obj
        counts.added[label] += 1
        return obj
    changed = _changed(obj, values)
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=[*changed, "updated_at"])
        counts.updated[label] += 1
    return obj


def _retire(rows: Iterable[Any], seen: set[Any], key: Callable[[Any], Any], counts: SyncCounts,
            label: str) -> None:
    now = timezone.now()
    for row in rows:
        if key(row) not in seen and row.retired_at is None:
            row.retired_at = now
            row.save(update_fields=["retired_at", "updated_at"])
            counts.retired[label] += 1


def _int(value: Any) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _guess_kind(name: str, description: str) -> str:
    text = f"{name} {description}".lower()
    if "notebook" in text:
        return Product.Kind.NOTEBOOK_INSTANCE
    if "studio" in text:
        return Product.Kind.STUDIO_USER_PROFILE
    if "project" in text or "mlops" in text:
        return Product.Kind.SAGEMAKER_PROJECT
    return Product.Kind.OTHER


def _sync_product_children(product: Product, entry: ProductSnapshot, counts: SyncCounts) -> None:
    versions = {v.artifact_id: v for v in product.versions.all()}
    seen_versions = set()
    for detail in entry.versions:
        seen_versions.add(detail["Id"])
        described = entry.parameters.get(detail["Id"], {})
        values: dict[str, Any] = {
            "name": detail.get("Name", "") or detail["Id"],
            "description": detail.get("Description", ""),
            "active": bool(detail.get("Active", True)),
            "guidance": detail.get("Guidance") or ProductVersion.Guidance.DEFAULT,
            "aws_created_at": detail.get("CreatedTime"),
        }
        if detail["Id"] in entry.parameters:
            values["output_keys"] = [
                o["Key"] for o in described.get("ProvisioningArtifactOutputKeys")
                or described.get("ProvisioningArtifactOutputs") or []
            ]
            values["usage_instructions"] = described.get("UsageInstructions", [])
        version = _upsert(versions, detail["Id"], ProductVersion, values,
                          {"product": product, "artifact_id": detail["Id"]}, counts, "versions")
        if detail["Id"] in entry.parameters:
            _sync_parameters(version, described.get("ProvisioningArtifactParameters", []), counts)
    _retire(versions.values(), seen_versions, lambda v: v.artifact_id, counts, "versions")

    paths = {p.path_id: p for p in product.launch_paths.all()}
    for summary in entry.launch_paths:
        constraints = summary.get("ConstraintSummaries", [])
        _upsert(paths, summary["Id"], LaunchPath,
                {"name": summary.get("Name", ""), "constraints": constraints},
                {"product": product, "path_id": summary["Id"]}, counts, "launch paths")
    _retire(paths.values(), {s["Id"] for s in entry.launch_paths}, lambda p: p.path_id, counts,
            "launch paths")


def _sync_parameters(version: ProductVersion, parameters: list[dict[str, Any]],
                     counts: SyncCounts) -> None:
    specs = {p.key: p for p in version.parameters.all()} if version.pk else {}
    for position, parameter in enumerate(parameters):
        constraints = parameter.get("ParameterConstraints", {}) or {}
        values = {
            "position": position,
            "parameter_type": parameter.get("ParameterType", "String") or "String",
            "default": parameter.get("DefaultValue"),
            "description": parameter.get("Description", ""),
            "no_echo": bool(parameter.get("IsNoEcho", False)),
            "allowed_values": list(constraints.get("AllowedValues", [])),
            "allowed_pattern": constraints.get("AllowedPattern", "") or "",
            "constraint_description": constraints.get("ConstraintDescription", "") or "",
            "min_length": _int(constraints.get("MinLength")),
            "max_length": _int(constraints.get("MaxLength")),
            "min_value": _decimal(constraints.get("MinValue")),
            "max_value": _decimal(constraints.get("MaxValue")),
            "pattern_error": pattern_error(constraints.get("AllowedPattern", "") or ""),
        }
        _upsert(specs, parameter["ParameterKey"], ParameterSpec, values,
                {"version": version, "key": parameter["ParameterKey"]}, counts, "parameters")
    _retire(specs.values(), {p["ParameterKey"] for p in parameters}, lambda s: s.key, counts,
            "parameters")


def _target_lock(target: SyncTarget) -> None:
    """Serialise writers of one target, so the timer and "Sync now" never insert the same row twice.

    PostgreSQL: a transaction-scoped advisory lock keyed by the target. SQLite needs none: its
    write transactions start IMMEDIATE (settings), so the second writer waits and then reads the
    first one's rows.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                [f"catalog-sync:{target.aws_account_id}:{target.aws_region}"],
            )


@transaction.atomic
def target_apply(*, target: SyncTarget, snapshot: TargetSnapshot) -> SyncCounts:
    """Write one target's snapshot, touching only rows that differ."""
    _target_lock(target)
    counts = SyncCounts()
    where = {"aws_account_id": target.aws_account_id, "aws_region": target.aws_region}

    portfolios = {p.portfolio_id: p for p in Portfolio.objects.filter(**where)}
    for detail in snapshot.portfolios:
        _upsert(portfolios, detail["Id"], Portfolio,
                {"name": detail.get("DisplayName", "") or detail["Id"],
                 "description": detail.get("Description", ""),
                 "provider_name": detail.get("ProviderName", "")},
                {**where, "portfolio_id": detail["Id"]}, counts, "portfolios")
    _retire(portfolios.values(), {d["Id"] for d in snapshot.portfolios}, lambda p: p.portfolio_id,
            counts, "portfolios")

    tag_options = {t.tag_option_id: t for t in TagOption.objects.filter(**where)}
    seen_tag_options: set[str] = set()
    for entry in snapshot.products.values():
        for option in entry.tag_options:
            seen_tag_options.add(option["Id"])
            _upsert(tag_options, option["Id"], TagOption,
                    {"key": option["Key"], "value": option["Value"],
                     "active": bool(option.get("Active", True))},
                    {**where, "tag_option_id": option["Id"]}, counts, "tag options")
    _retire(tag_options.values(), seen_tag_options, lambda t: t.tag_option_id, counts,
            "tag options")

    products = {
        p.product_id: p
        for p in Product.objects.filter(**where).prefetch_related(
            "portfolios", "tag_options", "versions__parameters", "launch_paths"
        )
    }
    for product_id, entry in snapshot.products.items():
        summary = entry.summary
        values = {
            "name": summary.get("Name", "") or product_id,
            "owner": summary.get("Owner", ""),
            "description": summary.get("ShortDescription", ""),
            "distributor": summary.get("Distributor", ""),
            "support_email": summary.get("SupportEmail", ""),
            "support_url": summary.get("SupportUrl", ""),
            "product_type": summary.get("Type", ""),
            "launch_tag_options": entry.launch_tag_options,
        }
        kind = _guess_kind(values["name"], values["description"])
        is_new = product_id not in products
        product = _upsert(
            products, product_id, Product, values,
            {**where, "product_id": product_id, "kind": kind,
             "output_mapping": dict(OUTPUT_FIELDS[kind]),
             "published": settings.PORTAL_CATALOG_PUBLISH_NEW},
            counts, "products",
        )
        wanted_portfolios = {portfolios[pid] for pid in entry.portfolio_ids}
        if is_new or set(product.portfolios.all()) != wanted_portfolios:
            product.portfolios.set(wanted_portfolios)
        wanted_options = {tag_options[o["Id"]] for o in entry.tag_options}
        if is_new or set(product.tag_options.all()) != wanted_options:
            product.tag_options.set(wanted_options)
        _sync_product_children(product, entry, counts)
        counts.warnings.extend({"target": str(target), "product": product.name, **flag}
                               for flag in product_flags(product=Product.objects.prefetch_related(
                                   "launch_paths", "versions__parameters").get(pk=product.pk)))
    _retire(products.values(), set(snapshot.products), lambda p: p.product_id, counts, "products")

    return counts


def catalog_sync(
    *,
    run: SyncRun,
    source_for: SourceFactory | None = None,
    progress: Progress | None = None,
) -> SyncRun:
    """Sync every target into the catalog and record the outcome on ``run``."""
    if source_for is None:
        from catalog.sources import catalog_source_for

        source_for = catalog_source_for
    say: Progress = progress or (lambda message: None)
    run.status = SyncRun.Status.RUNNING
    run.started_at = timezone.now()
    run.save(update_fields=["status", "started_at"])

    targets = sync_targets()
    totals = SyncCounts()
    errors: list[dict[str, str]] = []
    warnings: list[dict[str, str]] = []
    unfindable: list[dict[str, str]] = []
    for number, target in enumerate(targets, start=1):
        say(f"[{number}/{len(targets)}] {target} (via project {target.project.slug})")
        try:
            snapshot = target_snapshot(source=source_for(target), progress=progress)
            counts = target_apply(target=target, snapshot=snapshot)
        except CatalogSourceError as exc:
            logger.warning("Catalog sync of %s failed: %s", target, exc)
            errors.append({"target": str(target), "operation": exc.operation, "code": exc.code,
                           "message": exc.message[:500]})
            say(f"  FAILED: {exc.operation}: {exc.code}: {exc.message}")
            continue
        except ClientError as exc:  # reaching the target failed, e.g. sts:AssumeRole refused
            error = exc.response.get("Error", {})
            operation = getattr(exc, "operation_name", "")
            logger.warning("Catalog sync of %s failed: %s", target, exc)
            errors.append({"target": str(target), "operation": operation,
                           "code": str(error.get("Code", "")),
                           "message": str(error.get("Message", ""))[:500]})
            say(f"  FAILED: {operation}: {error.get('Code', '')}: {error.get('Message', '')}")
            continue
        except Exception as exc:  # one target's surprise must not stop the others
            logger.exception("Catalog sync of %s failed", target)
            errors.append({"target": str(target), "operation": "", "code": type(exc).__name__,
                           "message": str(exc)[:500]})
            say(f"  FAILED: {type(exc).__name__}: {exc}")
            continue
        for which in ("added", "updated", "retired"):
            getattr(totals, which).update(getattr(counts, which))
        warnings.extend(counts.warnings)
        for warning in counts.warnings:
            say(f"  WARNING: {warning['product']}: {warning['message']}")
        say(f"  {len(snapshot.products)} products: {counts.describe()}")
        for flag in target_findability_flags(target=target):
            unfindable.append(flag)
            say(f"  WARNING: {flag['product']}: {flag['message']}")

    run.added = totals.total("added")
    run.updated = totals.total("updated")
    run.retired = totals.total("retired")
    run.errors = errors
    run.warnings = warnings
    if not errors:
        run.status = SyncRun.Status.SUCCEEDED
    elif len(errors) < len(targets):
        run.status = SyncRun.Status.PARTIAL
    else:
        run.status = SyncRun.Status.FAILED
    run.finished_at = timezone.now()
    run.save(update_fields=["added", "updated", "retired", "errors", "warnings", "status",
                            "finished_at"])
    audit_record(
        action="catalog.synced",
        actor=run.requested_by,
        actor_username="" if run.requested_by else f"system ({run.trigger})",
        obj=run,
        data={"status": run.status, "targets": len(targets), "added": run.added,
              "updated": run.updated, "retired": run.retired, "errors": errors,
              "warnings": warnings, "unfindable": unfindable},
    )
    say(f"Summary: {totals.describe()}; errors {len(errors)}")
    return run


def sync_run_start(*, trigger: str, requested_by: User | None = None) -> SyncRun:
    return SyncRun.objects.create(trigger=trigger, requested_by=requested_by)
