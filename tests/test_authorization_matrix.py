"""The authorization matrix: every URL pattern and API operation x eight personas x methods.

The table (tests/authorization_rules.py) is the rule: one line per (route, method) with the
status each persona gets, in the order of PERSONAS. The routes come from the URLconf and the
operations from the OpenAPI schema, so an endpoint added without a rule fails
`test_every_url_pattern_has_a_rule` (or the schema test). Every 200 answer is also checked for
foreign objects: a request or environment the persona cannot open (its detail is a 404 for them)
must not appear in any list they get.

State-changing calls run inside a savepoint that is rolled back, so each persona meets the same
data; Celery tasks are recorded, never sent.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from approvals.models import ApprovalDelegation
from portal.aws import credential_cache
from portal.models import Notification, Project, User
from tests.approvals.conftest import (  # noqa: F401  (fixtures reused from the approvals cast)
    demo_policies,
    gpu_request,
    notebook,
    other_manager,
    platform_admin,
    prices,
    sent_tasks,
)
from tests.authorization_rules import (  # the rule table, data only
    ADMIN_RULE,
    AUDIT_ROUTES,
    LIBRARY_ADMIN_RULE,
    PERSONAS,
    QUERIES,
    RULES,
)
from tests.provisioning.conftest import approved_request, make_notebook_product


def url_patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def is_api(route: str) -> bool:
    return route.startswith("api/")


class World:
    """The cast, the requester's objects (which every path parameter names) and foreign ones."""

    def __init__(self, cast: dict[str, User | None], *, request: Any, task: Any, product: Any,
                 environment: Any, outsider_request: Any, outsider_environment: Any,
                 notification: Any, delegation: Any) -> None:
        self.cast = cast
        self.delegation = delegation
        self.notification = notification
        self._clients: dict[str, Client] = {}
        self.request, self.task, self.product = request, task, product
        self.environment = environment
        self.tracked = {"requester's request": (request.pk, f"api/v1/requests/{request.pk}"),
                        "requester's environment": (environment.pk,
                                                    f"api/v1/environments/{environment.pk}"),
                        "outsider's request": (outsider_request.pk,
                                               f"api/v1/requests/{outsider_request.pk}"),
                        "outsider's environment": (outsider_environment.pk,
                                                   f"api/v1/environments/"
                                                   f"{outsider_environment.pk}")}

    def client(self, persona: str) -> Client:
        if persona not in self._clients:
            client = self._clients[persona] = Client()
            user = self.cast[persona]
            if user is not None:
                client.force_login(user)
        return self._clients[persona]

    def url(self, route: str) -> str:
        pk = {"catalog": self.product.pk, "requests": self.request.pk, "tasks": self.task.pk,
              "environments": self.environment.pk, "leases": self.environment.pk,
              "notifications": self.notification.pk, "delegations": self.delegation.pk,
              "scim-tokens": 999999}  # no such token: a 404 for the admin
        parts = route.split("/")
        for i, part in enumerate(parts):
            if part in {"<int:pk>", "<uuid:pk>"}:
                owner = next(p for p in reversed(parts[:i]) if p in pk)
                parts[i] = str(pk[owner])
        url = "/".join(parts) + QUERIES.get(route, "").format(product=self.product.pk)
        return "/" + (url.replace("<str:key>", "InstanceType").replace("<slug:slug>", "fraud")
                      .replace("<int:number>", "1")
                      .replace("<reference:reference>", self.request.reference)
                      .replace("<slug:name>", "scp-guardrails")
                      .replace("<str:name>", self.environment.notebook_instance_name)
                      .replace("<str:domain_id>", "d-fraud").replace("<str:profile>", "dana")
                      .replace("<str:pk>", "1")
                      .replace("^saml/(?P<organization_slug>[^/]+)/", "saml/portal/"))

    def call(self, persona: str, method: str, route: str) -> tuple[int, bytes]:
        client = self.client(persona)
        cookies = copy.deepcopy(client.cookies)  # sign-out must not sign the persona out for good
        with transaction.atomic():
            body: Any = {} if method != "GET" else None
            kwargs: dict[str, Any] = {"content_type": "application/json"} if (
                is_api(route) and body is not None) else {}
            response = getattr(client, method.lower())(self.url(route), body, **kwargs) \
                if body is not None else client.get(self.url(route))
            content = b"" if response.streaming else response.content
            if response.streaming:
                content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
            transaction.set_rollback(True)
        # The rollback also forgets the fake AWS's STS sessions of this call: the credentials the
        # portal cached for them must go too (AWS itself never forgets a session it issued).
        credential_cache.clear()
        client.cookies = cookies
        return response.status_code, content

    def invisible_to(self, persona: str) -> dict[str, str]:
        """The tracked objects whose detail is a 404 (or refused) for the persona."""
        hidden = {}
        for label, (pk, detail) in self.tracked.items():
            status, _ = self.call(persona, "GET", detail)
            if status != 200:
                hidden[label] = str(pk)
        return hidden


@pytest.fixture
def world(request: pytest.FixtureRequest, scientist: User, colleague: User, outsider: User,
          manager: User, auditor: User, project: Project, other_project: Project) -> World:
    from guardrails.models import GuardrailVersion
    from provisioning.models import Environment

    # Fixtures of the approvals cast, imported above (named here, not as arguments, for ruff).
    other_mgr = request.getfixturevalue("other_manager")
    admin_user = request.getfixturevalue("platform_admin")
    gpu = request.getfixturevalue("gpu_request")

    def environment_of(owner: User, where: Project, product: Any, version: Any,
                       name: str) -> Any:
        origin = approved_request(requester=owner, project=where, product=product,
                                  version=version)
        return Environment.objects.create(
            origin_request=origin, owner=owner, project=where, product=product, version=version,
            provisioned_product_name=name, notebook_instance_name=name,
            status=Environment.Status.AVAILABLE)

    environment = environment_of(scientist, project, gpu.product, gpu.version,
                                 "fraud-dana-nb-1")
    outsider_environment = environment_of(
        outsider, other_project, *make_notebook_product(other_project, product_id="prod-nb0002"),
        "credit-otto-nb-1")
    # A guardrails version to show (no rule on: it refuses nothing here).
    GuardrailVersion.objects.create(number=1, rules={}, reason="The matrix's version")
    cast: dict[str, User | None] = {
        "requester": scientist, "colleague": colleague, "outsider": outsider,
        "manager": manager, "other_manager": other_mgr, "platform_admin": admin_user,
        "auditor": auditor, "anonymous": None}
    return World(cast, request=gpu, task=gpu.tasks.get(),
                 product=gpu.product, environment=environment,
                 outsider_request=outsider_environment.origin_request,
                 outsider_environment=outsider_environment,
                 # the requester's in-app notice: others marking it read is a 404
                 notification=Notification.objects.create(
                     recipient=scientist, kind="approval", text="A notice", link="/"),
                 # the manager's out-of-office delegate: ending it is the manager's alone (it
                 # starts tomorrow, so the other manager decides nothing for them today)
                 delegation=ApprovalDelegation.objects.create(
                     delegator=manager, delegate=other_mgr,
                     starts_on=timezone.localdate() + timedelta(days=1),
                     ends_on=timezone.localdate() + timedelta(days=1)))


def schema_route(path: str) -> str:
    return (path.lstrip("/").replace("{id}", "<pk>").replace("{key}", "<str:key>")
            .replace("{slug}", "<slug:slug>")
            .replace("{reference}", "<reference:reference>")
            .replace("{name}", "<slug:name>"))


def rule_route(route: str) -> str:
    return route.replace("<int:pk>", "<pk>").replace("<uuid:pk>", "<pk>")


def test_every_url_pattern_has_a_rule() -> None:
    routes = {route for route in url_patterns() if not route.startswith("admin/")}
    ruled = {route for route, _ in RULES}

    assert routes - ruled == set(), "add a line to RULES for each new URL pattern"
    assert ruled - routes == set(), "RULES names routes that no longer exist"
    for route in routes:
        methods = {method for r, method in RULES if r == route}
        assert ("GET" in methods or not is_api(route)) or methods, route


def test_every_operation_of_the_schema_has_a_rule_and_nothing_else_is_allowed() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = {(schema_route(path), method.upper())
                  for path, ops in schema["paths"].items() for method in ops}
    ruled_api = {(rule_route(route), method) for (route, method), statuses in RULES.items()
                 if is_api(route) and route.startswith("api/v1/")}
    allowed = {(rule_route(route), method) for (route, method), statuses in RULES.items()
               if route.startswith("api/v1/") and set(statuses.split()) - {"401", "403", "405"}}

    assert documented - ruled_api == set(), "add the operation to RULES"
    assert allowed - documented == set(), "an API method answers but is not in the schema"


def test_the_matrix_holds(world: World) -> None:
    mismatches = []
    hidden = {persona: world.invisible_to(persona) for persona in PERSONAS}
    for (route, method), expected in RULES.items():
        for persona, want in zip(PERSONAS, expected.split(), strict=True):
            status, body = world.call(persona, method, route)
            if str(status) != want:
                mismatches.append(f"{method} {route} as {persona}: {status}, expected {want}")
            if status == 200 and not (route in AUDIT_ROUTES and persona in
                                      {"platform_admin", "auditor"}):
                for label, pk in hidden[persona].items():
                    if pk.encode() in body:
                        mismatches.append(f"{method} {route} shows {persona} the {label}")
    assert mismatches == [], "\n".join(mismatches)


def test_the_foreign_objects_are_really_foreign(world: World) -> None:
    """The leak check above only bites if each persona has objects it must not see."""
    assert set(world.invisible_to("requester")) == {"outsider's request",
                                                    "outsider's environment"}
    assert set(world.invisible_to("outsider")) == {"requester's request",
                                                   "requester's environment"}
    assert len(world.invisible_to("anonymous")) == 4


def test_the_django_admin_is_for_platform_admins_only(world: World) -> None:
    from portal.admin import PlatformAdminOnly

    urls = {"/admin/": ADMIN_RULE} | {
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/":
            ADMIN_RULE if isinstance(model_admin, PlatformAdminOnly) else LIBRARY_ADMIN_RULE
        for model, model_admin in admin.site._registry.items()}
    mismatches = []
    for url, rule in urls.items():
        for persona, want in zip(PERSONAS, rule.split(), strict=True):
            status = world.client(persona).get(url).status_code
            if str(status) != want:
                mismatches.append(f"GET {url} as {persona}: {status}, expected {want}")
    assert len(urls) > 5 and mismatches == [], "\n".join(mismatches)
