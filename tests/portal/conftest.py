from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from portal.devidp.idp import DevIdP, UserDirectory
from tests.saml_crafted import CraftedIdP
from tests.saml_idp import DEMO_USERS, SP_ENTITY_ID, SamlBrowser, acs_url, configure_portal_for


@pytest.fixture(scope="session")
def idp_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("devidp")


@pytest.fixture(scope="session")
def dev_idp(idp_state_dir: Path) -> DevIdP:
    return DevIdP(base_url="http://idp.test", state_dir=idp_state_dir,
                  sp_entity_id=SP_ENTITY_ID, sp_acs_url=acs_url())


@pytest.fixture
def directory() -> UserDirectory:
    return UserDirectory.load(DEMO_USERS)


@pytest.fixture
def saml(db: None, settings: Any, client: Client, dev_idp: DevIdP,
         directory: UserDirectory) -> SamlBrowser:
    configure_portal_for(settings, dev_idp)
    return SamlBrowser(client, dev_idp, directory)


@pytest.fixture(scope="session")
def crafted_idp() -> CraftedIdP:
    return CraftedIdP()


@pytest.fixture
def crafted(db: None, settings: Any, client: Client, crafted_idp: CraftedIdP) -> SamlBrowser:
    """A browser facing the throw-away IdP whose messages tests write by hand."""
    configure_portal_for(settings, crafted_idp)
    return SamlBrowser(client, crafted_idp)
