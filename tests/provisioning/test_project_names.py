"""The SageMaker project names the portal gives: SageMaker's pattern, a leading letter, 32 max."""

from __future__ import annotations

import re

import pytest

from provisioning.names import sagemaker_project_name

TEMPLATE_PATTERN = re.compile(r"^[a-zA-Z](-*[a-zA-Z0-9])*$")


@pytest.mark.parametrize(("username", "expected"), [
    ("dana.scientist", "dana-scientist-1f2e3d4c"),
    ("007.bond", "p-007-bond-1f2e3d4c"),
    ("", "project-1f2e3d4c"),
    ("a" * 40, "a" * 20 + "-1f2e3d4c"),
])
def test_a_project_name_starts_with_a_letter_and_fits_sagemaker(username: str,
                                                                 expected: str) -> None:
    name = sagemaker_project_name(username=username, short_id="1f2e3d4c")
    assert name == expected
    assert TEMPLATE_PATTERN.match(name) and len(name) <= 32
