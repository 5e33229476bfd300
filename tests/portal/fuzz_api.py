"""Fuzz the API over its OpenAPI schema (schemathesis): no answer may be a server error.

Run by `make fuzz`, not by the default suite (pytest collects only test_*.py): it is bounded
(FUZZ_EXAMPLES cases per operation and persona, 25 by default) but still takes minutes. Each
operation is called with a data scientist's token and with a platform admin's, in-process
through the WSGI application on the test database. A summary of the statuses seen is printed.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings

from portal.models import Project, User
from portal.services import api_token_rotate

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()
# As Django's test client does: a request must not close the test database's connection.
request_started.disconnect(close_old_connections)
request_finished.disconnect(close_old_connections)
SEEN: Counter[str] = Counter()
SERVER_ERRORS: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _summary() -> Iterator[None]:
    yield
    total = sum(SEEN.values())
    print(f"\nfuzz: {total} calls; statuses {dict(sorted(SEEN.items()))}; "
          f"{len(SERVER_ERRORS)} server errors")
    for line in SERVER_ERRORS[:20]:
        print("  ", line)


@pytest.fixture
def tokens(db: None, scientist: User, platform_admin: User, project: Project,
           other_project: Project) -> dict[str, str]:
    # The portal's own tokens (stored as digests); DRF's authtoken keys are not accepted.
    return {persona: api_token_rotate(user=user)
            for persona, user in (("scientist", scientist), ("platform_admin", platform_admin))}


@pytest.mark.parametrize("persona", ["scientist", "platform_admin"])
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error(case: Any, persona: str,
                                                  tokens: dict[str, str]) -> None:
    response = case.call(headers={"Authorization": f"Token {tokens[persona]}"})
    SEEN[str(response.status_code)] += 1
    if response.status_code >= 500:
        SERVER_ERRORS.append(f"{persona} {case.method} {case.formatted_path} "
                             f"-> {response.status_code}: {response.text[:200]}")
    assert response.status_code < 500, response.text[:500]
