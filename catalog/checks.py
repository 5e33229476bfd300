"""The launch path and the TagOptions of a product, and what the sync flags about them.

One launch path serves both reading a version's parameters and provisioning it, chosen by
``launch_path_choose``: the first path (by id) that carries a LAUNCH constraint, else the first
path. A path without a LAUNCH constraint provisions with the requester's own permissions, which the
portal's requesters do not have, so products without one are flagged.

TagOptions come from DescribeProvisioningParameters of that path, because that is where
portfolio-level and hub-shared TagOptions arrive (DescribeProductAsAdmin lists only the product's
own). A TagOption key that collides with a tag the portal sets itself (``PORTAL_TAG_KEYS``) or that
uses AWS's reserved ``aws:`` prefix can never be honoured: it is flagged at sync and refused when
the request is made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings

from catalog.models import LaunchPath, Product, TagOption

LAUNCH_CONSTRAINT = "LAUNCH"
# AWS reserves the prefix for its own tags, whatever the case ("aws:", "AWS:" …).
RESERVED_TAG_PREFIX = "aws:"

TagErrors = dict[str, list[str]]


def has_launch_constraint(constraints: Sequence[Mapping[str, Any]]) -> bool:
    return any(c.get("Type") == LAUNCH_CONSTRAINT for c in constraints)


def launch_path_choose(paths: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The launch path to use among ListLaunchPaths summaries (``Id``, ``ConstraintSummaries``)."""
    ordered = sorted(paths, key=lambda p: str(p["Id"]))
    for path in ordered:
        if has_launch_constraint(path.get("ConstraintSummaries") or []):
            return path
    return ordered[0] if ordered else None


def launch_path_for(*, product: Product) -> LaunchPath | None:
    """The live launch path the sync read parameters through and provisioning must use."""
    paths = {p.path_id: p for p in product.launch_paths.all() if p.retired_at is None}
    chosen = launch_path_choose(
        [{"Id": p.path_id, "ConstraintSummaries": p.constraints} for p in paths.values()]
    )
    return paths[str(chosen["Id"])] if chosen else None


def portal_tag_keys() -> set[str]:
    return set(settings.PORTAL_TAG_KEYS.values())


def tag_key_collision(key: str) -> str:
    """Why a TagOption key cannot be offered, or "" when it can."""
    if key.lower().startswith(RESERVED_TAG_PREFIX):
        return f"The TagOption key {key!r} uses the prefix AWS reserves for its own tags."
    if key in portal_tag_keys():
        return f"The TagOption key {key!r} is a tag the portal sets itself."
    return ""


def _tag_option_values(product: Product, options: Iterable[TagOption] | None = None
                       ) -> dict[str, list[str]]:
    if product.launch_tag_options is not None:
        return {str(k): sorted(str(v) for v in values)
                for k, values in product.launch_tag_options.items()}
    # Not read from the launch path yet: the product's own TagOptions.
    values: dict[str, list[str]] = {}
    for option in product.tag_options.all() if options is None else options:
        if option.active and option.retired_at is None:
            values.setdefault(option.key, []).append(option.value)
    return {key: sorted(found) for key, found in values.items()}


def tag_option_collisions(*, product: Product) -> dict[str, str]:
    """TagOption keys of the product that collide with the portal's tags, with the reason."""
    found = {key: tag_key_collision(key) for key in _tag_option_values(product)}
    return {key: reason for key, reason in sorted(found.items()) if reason}


def tag_options_requestable(*, product: Product, options: Iterable[TagOption] | None = None
                            ) -> dict[str, list[str]]:
    """The TagOptions a requester picks from, key → allowed values (colliding keys left out).
    ``options``: the product's TagOptions as the caller read them (else ``product.tag_options``;
    neither is read when the launch path gave the product its TagOptions)."""
    return {key: values for key, values in sorted(_tag_option_values(product, options).items())
            if not tag_key_collision(key)}


def tag_choices_validate(
    *, product: Product, choices: Mapping[str, Any]
) -> tuple[dict[str, str], TagErrors]:
    """Check a requester's TagOption choices: one allowed value per key, nothing else.

    Returns the cleaned choices and the errors by key; a product with a colliding TagOption is
    refused under the ``""`` key, because AWS or the portal would overwrite that tag.
    """
    allowed = tag_options_requestable(product=product)
    errors: TagErrors = {}
    collisions = tag_option_collisions(product=product)
    if collisions:
        errors[""] = [*collisions.values(),
                      "This product cannot be requested until the platform team fixes it."]
    cleaned: dict[str, str] = {}
    for key, value in choices.items():
        if key not in allowed:
            errors[str(key)] = ["Not a tag option of this product."]
        elif not isinstance(value, str) or value not in allowed[key]:
            errors[key] = ["Choose one of: " + ", ".join(allowed[key]) + "."]
        else:
            cleaned[key] = value
    for key in allowed:
        if key not in choices:
            errors[key] = ["Choose a value for this tag."]
    return cleaned, errors


def product_flags(*, product: Product) -> list[dict[str, str]]:
    """What the platform team must fix upstream for this product, as the sync reports it.

    Each flag: ``code`` (no_launch_constraint, tag_option_collision, pattern_unusable) and
    ``message``. Uses the ``launch_paths`` and ``versions__parameters`` prefetches when present.
    """
    flags: list[dict[str, str]] = []
    paths = [p for p in product.launch_paths.all() if p.retired_at is None]
    if paths and not any(has_launch_constraint(p.constraints or []) for p in paths):
        flags.append({"code": "no_launch_constraint",
                      "message": "No launch path has a LAUNCH constraint: provisioning would run "
                                 "with the requester's own permissions."})
    for reason in tag_option_collisions(product=product).values():
        flags.append({"code": "tag_option_collision", "message": reason})
    for version in product.versions.all():
        if version.retired_at is not None:
            continue
        for spec in version.parameters.all():
            if spec.retired_at is None and spec.pattern_error:
                flags.append({
                    "code": "pattern_unusable",
                    "message": f"Version {version.name}, parameter {spec.key}: the AllowedPattern "
                               f"cannot be applied ({spec.pattern_error}); it is not checked.",
                })
    return flags
