"""owner_id_for: the AWS owner-tag value, equal to aws:userid of the federated role."""

from __future__ import annotations

from typing import Any

import pytest

from portal.models import User
from portal.services import owner_id_for


def test_it_fills_the_template_with_the_configured_role_id(scientist: User, settings: Any) -> None:
    settings.PORTAL_OWNER_ID_TEMPLATE = "{aws_role_id}:{username}"
    settings.PORTAL_AWS_ROLE_ID = "AROAPORTALDEFAULT"

    assert owner_id_for(user=scientist, attributes={}) == "AROAPORTALDEFAULT:dana.scientist"


def test_a_per_user_role_id_attribute_wins_over_the_setting(
    scientist: User, settings: Any
) -> None:
    settings.PORTAL_OWNER_ID_TEMPLATE = "{aws_role_id}:{username}"
    settings.PORTAL_AWS_ROLE_ID = "AROAPORTALDEFAULT"

    owner_id = owner_id_for(user=scientist, attributes={"aws_role_id": "AROAPERSONAL"})

    assert owner_id == "AROAPERSONAL:dana.scientist"


def test_the_template_may_use_the_email(scientist: User, settings: Any) -> None:
    settings.PORTAL_OWNER_ID_TEMPLATE = "{aws_role_id}:{email}"
    settings.PORTAL_AWS_ROLE_ID = "AROAX"

    assert owner_id_for(user=scientist, attributes={}) == "AROAX:dana.scientist@bank.example"


def test_a_template_with_an_unknown_field_says_which_setting_is_wrong(
    scientist: User, settings: Any
) -> None:
    settings.PORTAL_OWNER_ID_TEMPLATE = "{role_arn}:{username}"

    with pytest.raises(ValueError, match="PORTAL_OWNER_ID_TEMPLATE"):
        owner_id_for(user=scientist, attributes={})
