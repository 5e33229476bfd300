"""Leases run on provisioning's fixtures: the fake AWS (instant), the cast's notebook."""

from tests.provisioning.conftest import *  # noqa: F403  (fixtures: available, queued, …)
from tests.provisioning.conftest import _no_real_aws  # noqa: F401  (autouse: the fake AWS)
