"""Names the portal gives AWS resources: provisioned products, SageMaker projects, and the name
parameter of a notebook instance or Studio user profile (``name_parameter_filled``).

A provisioned product name must match ``[a-zA-Z0-9][a-zA-Z0-9._-]*`` within 128 characters. The
portal keeps it to letters, digits and single hyphens within 63 characters so the same name also
works as a notebook instance name (``[a-zA-Z0-9](-*[a-zA-Z0-9])*``, at most 63).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING

from catalog.parameters import RESOURCE_NAME_PARAMETERS

if TYPE_CHECKING:
    from provisioning.models import Environment

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-?[a-zA-Z0-9])*$")
MAX_NAME = 63
MAX_PROJECT_NAME = 32  # SageMaker ProjectEntityName
# The template parameter that names the resource, per product kind: the catalog's one table (the
# request form refuses a second live request for a name by the same table).
NAME_PARAMETERS: dict[str, str] = RESOURCE_NAME_PARAMETERS
_KIND_WORD = {
    "notebook_instance": "notebook",
    "studio_user_profile": "studio",
    "sagemaker_project": "project",
}


def _slug(text: str, *, limit: int) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].strip("-")


def provisioned_product_name(*, username: str, kind: str, product_name: str, short_id: str) -> str:
    """``<user>-<product>-<short id>``: e.g. ``dana-scientist-notebook-1f2e3d4c``."""
    user = _slug(username, limit=20) or "user"
    product = _KIND_WORD.get(kind) or _slug(product_name, limit=24) or "product"
    suffix = _slug(short_id, limit=12) or "0"
    name = f"{user}-{product}-{suffix}"[:MAX_NAME].strip("-")
    assert NAME_PATTERN.match(name), name  # guaranteed by the slugs above
    return name


def sagemaker_project_name(*, username: str, short_id: str) -> str:
    """A SageMaker project name within 32 characters: ``<user>-<short id>``, starting with a
    letter (SageMaker's project templates declare SageMakerProjectName with the pattern
    ``^[a-zA-Z](-*[a-zA-Z0-9])*``)."""
    user = _slug(username, limit=MAX_PROJECT_NAME - 12) or "project"
    if not user[0].isalpha():
        user = f"p-{user}"
    return f"{user}-{_slug(short_id, limit=8) or '0'}"[:MAX_PROJECT_NAME].strip("-")


def name_parameter_filled(environment: Environment, parameters: Mapping[str, str]
                          ) -> dict[str, str]:
    """``parameters`` with the kind's name parameter as the portal sends it to AWS.

    A name parameter left empty, or left at the template's fixed default (``myNotebook``: a second
    launch would collide with "already exists"), gets the provisioned product's name, unique per
    environment and valid for both kinds. The one owner of this rule: provisioning sends what it
    returns, and ``provisioning.resolve`` looks for what was sent.
    """
    filled = dict(parameters)
    key = NAME_PARAMETERS.get(environment.product.kind, "")
    if key in filled:
        default = environment.version.parameters.filter(key=key).values_list(
            "default", flat=True).first()
        if not filled[key] or filled[key] == default:
            filled[key] = environment.provisioned_product_name
    return filled
