"""How a version's parameters are labelled and whether they are secret or fixed, in one statement.

The environment page lists the values an environment runs with, labelled as the request form
labels them (``parameters_effective``). It needs three things of each parameter: the label, NoEcho
and whether the platform team fixed it. ``parameters_effective`` reads the overrides and the specs
in two statements and builds every constraint; here one hand-written statement joins each live
spec to its override (unique per product and key) and reads plain rows: through the ORM the two
reads cost ~4 ms of CPU per page, a Subquery per column nearly as much (issue 16).
``tests/catalog/test_parameter_labels.py`` holds it to ``parameters_effective``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from catalog.models import ParameterOverride, ParameterSpec, Product
from catalog.parameters import SAGEMAKER_PROJECT_PARAMETERS


@dataclass(frozen=True)
class ParameterLabel:
    """What the environment page shows of one parameter besides its value."""

    key: str
    label: str
    no_echo: bool
    hidden: bool


def parameter_labels(*, version_id: int, product_id: int, kind: str) -> list[ParameterLabel]:
    """The version's live parameters in template order, each with its label (the override's,
    else the key), NoEcho, and hidden (the override's; always for the SageMaker project's own
    parameters of a ``sagemaker_project`` product), as ``parameters_effective`` has them."""
    qn = connection.ops.quote_name
    spec, override = qn(ParameterSpec._meta.db_table), qn(ParameterOverride._meta.db_table)
    key = qn("key")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.position, s.{key}, s.no_echo, o.label, o.hidden FROM {spec} s"
            f" LEFT JOIN {override} o ON o.product_id = %s AND o.{key} = s.{key}"
            f" WHERE s.version_id = %s AND s.retired_at IS NULL",
            [product_id, version_id])
        # Sorted here as parameters_effective sorts (code points, not the database collation).
        rows = sorted(cursor.fetchall(), key=lambda row: (row[0], row[1]))
    project_kind = kind == Product.Kind.SAGEMAKER_PROJECT
    return [
        ParameterLabel(key=name, label=label or name, no_echo=bool(no_echo),
                       hidden=bool(hidden) or (project_kind
                                               and name in SAGEMAKER_PROJECT_PARAMETERS))
        for _position, name, no_echo, label, hidden in rows
    ]
