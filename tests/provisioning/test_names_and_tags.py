"""Provisioned product names and the tag set within AWS's rules."""

from __future__ import annotations

from typing import Any

import pytest

from provisioning.names import NAME_PATTERN, provisioned_product_name, sagemaker_project_name
from provisioning.tags import TagSetInvalid, chosen_tags, tag_set_build, tag_value_clean

PORTAL = {"owner": "AROAEXAMPLE:dana", "owner-name": "Dana O'Brien", "owner-email": "d@x.example",
          "department": "Data Science", "cost-center": "CC-1", "project": "fraud",
          "environment": "dev", "portal-request": "r", "portal-environment": "e"}


@pytest.mark.parametrize("username", ["dana.scientist", "Jörg_Ünicode", "x" * 200, "---", "A@B"])
def test_names_are_valid_notebook_and_provisioned_product_names(username: str) -> None:
    name = provisioned_product_name(username=username, kind="other",
                                    product_name="A very long product name " * 5,
                                    short_id="0f8fad5b")
    assert NAME_PATTERN.match(name) and len(name) <= 63 and name.endswith("-0f8fad5b")


def test_sagemaker_project_names_fit_32_characters() -> None:
    name = sagemaker_project_name(username="a-very-long-user-name-indeed-yes", short_id="0f8fad5b")
    assert len(name) <= 32 and NAME_PATTERN.match(name)


def test_directory_values_are_made_valid_and_refused_ones_are_explained(settings: Any) -> None:
    tags = tag_set_build(portal_values=PORTAL, chosen=[("data-classification", "internal")])
    assert {t.key: t.value for t in tags}["owner-name"] == "Dana O-Brien"
    assert len(tags) == 10
    assert tag_value_clean("") == "unknown" and len(tag_value_clean("v" * 300)) == 256


@pytest.mark.parametrize(("chosen", "why"), [
    ([("aws:secret", "x")], "reserved prefix"),
    ([("k" * 129, "x")], "1 to 128"),
    ([("ok", "v" * 257)], "1 to 256"),
    ([("ok", "semi;colon")], "characters AWS does not allow"),
    ([("owner", "someone-else")], "overwrite"),
    ([(f"key{i}", "v") for i in range(42)], "at most 50"),
])
def test_chosen_tags_that_break_the_rules_are_refused(chosen: list[tuple[str, str]],
                                                      why: str) -> None:
    with pytest.raises(TagSetInvalid, match=why):
        tag_set_build(portal_values=PORTAL, chosen=chosen)


def test_a_user_without_an_owner_id_gets_no_environment() -> None:
    with pytest.raises(TagSetInvalid, match="owner id"):
        tag_set_build(portal_values={**PORTAL, "owner": ""}, chosen=[])


def test_tag_choices_are_read_from_a_mapping_or_a_list() -> None:
    assert chosen_tags({"a": "1"}) == chosen_tags([{"Key": "a", "Value": "1"}]) == [("a", "1")]
