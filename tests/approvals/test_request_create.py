from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.http import Http404

from approvals.errors import RequestInvalid
from approvals.models import ApprovalTask, Request
from approvals.services import request_create
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import notebook_values

pytestmark = pytest.mark.django_db

TAGS = {"data-classification": "internal"}


@pytest.fixture
def create(django_capture_on_commit_callbacks: Any) -> Callable[..., Request]:
    """request_create with on-commit work (emails) run as production runs it."""

    def _create(user: User, project: Project, product: Product, **overrides: Any) -> Request:
        kwargs: dict[str, Any] = {
            "requester": user, "project_slug": project.slug, "product_id": product.pk,
            "parameters": notebook_values("ml.m5.xlarge"), "tag_choices": TAGS,
            "justification": "Feature engineering for the fraud model.",
        }
        kwargs.update(overrides)
        with django_capture_on_commit_callbacks(execute=True):
            return request_create(**kwargs)

    return _create


def test_it_stores_the_full_parameter_set_cost_and_tags(
    create: Callable[..., Request], scientist: User, project: Project, notebook: Product
) -> None:
    request = create(scientist, project, notebook)
    assert request.status == Request.Status.PENDING
    assert request.version.name == "v1"
    assert request.parameters == {
        "NotebookInstanceName": "dana-nb", "InstanceType": "ml.m5.xlarge",
        "VolumeSizeInGB": "20", "KmsKeyId": "alias/ml-notebooks",
    }
    assert request.tag_choices == TAGS
    assert request.estimated_monthly_cost == Decimal("167.90")  # 0.23 × 730
    event = AuditEvent.objects.get(action="request.created")
    assert event.actor == scientist and event.project == project
    assert event.object_id == str(request.pk)


def test_it_leaves_the_cost_unknown_without_a_price(
    create: Callable[..., Request], scientist: User, project: Project, studio: Product
) -> None:
    request = create(scientist, project, studio, parameters={"UserProfileName": "dana"},
                      tag_choices={})
    assert request.estimated_monthly_cost is None


def test_the_requester_is_told_the_request_was_submitted_with_a_link(
    create: Callable[..., Request],
    scientist: User, project: Project, notebook: Product, settings: Any
) -> None:
    settings.PORTAL_BASE_URL = "https://portal.bank.example"
    request = create(scientist, project, notebook)
    to_requester = [m for m in mail.outbox if m.to == [scientist.email]]
    assert to_requester and "submitted" in to_requester[0].subject.lower()
    assert f"https://portal.bank.example/requests/{request.pk}/" in to_requester[0].body


def _assert_nothing_changed(events_before: int) -> None:
    assert Request.objects.count() == 0
    assert ApprovalTask.objects.count() == 0
    assert AuditEvent.objects.count() == events_before
    assert mail.outbox == []


BAD_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    ("invalid parameter value", {"parameters": notebook_values("ml.x99.huge")}, "parameters"),
    ("bad notebook name", {"parameters": {"NotebookInstanceName": "no spaces please"}},
     "parameters"),
    ("a value for a parameter the platform fixed",
     {"parameters": notebook_values(KmsKeyId="alias/mine")}, "parameters"),
    ("an unknown parameter", {"parameters": notebook_values(Foo="bar")}, "parameters"),
    ("parameters not an object", {"parameters": ["ml.t3.medium"]}, "parameters"),
    ("a version that cannot be requested", {"version_id": "v0"}, "version"),
    ("a missing tag option", {"tag_choices": {}}, "tag_choices"),
    ("a tag value that is not offered", {"tag_choices": {"data-classification": "public"}},
     "tag_choices"),
    ("no justification", {"justification": "   "}, "justification"),
    ("an unknown action", {"action": "explode"}, "action"),
    ("a terminate without an environment", {"action": "terminate"}, "environment_ref"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), BAD_INPUTS,
                         ids=[case for case, _, _ in BAD_INPUTS])
def test_bad_input_is_refused_with_a_field_error_and_changes_nothing(
    create: Callable[..., Request],
    scientist: User, project: Project, notebook: Product, case: str, overrides: dict[str, Any],
    field: str,
) -> None:
    if overrides.get("version_id") == "v0":
        overrides["version_id"] = notebook.versions.get(name="v0").pk
    before = AuditEvent.objects.count()
    with pytest.raises(RequestInvalid) as refused:
        create(scientist, project, notebook, **overrides)
    assert field in refused.value.errors
    _assert_nothing_changed(before)


def test_a_project_the_requester_is_not_in_is_refused_and_changes_nothing(
    create: Callable[..., Request],
    scientist: User, project: Project, other_project: Project, notebook: Product
) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(RequestInvalid) as refused:
        create(scientist, other_project, notebook)
    assert refused.value.errors["project"] == ["You are not a member of this project."]
    _assert_nothing_changed(before)


def test_a_project_in_another_aws_target_is_refused_and_changes_nothing(
    create: Callable[..., Request],
    scientist: User, project: Project, other_project: Project, notebook: Product
) -> None:
    other_project.memberships.create(user=scientist)
    before = AuditEvent.objects.count()
    with pytest.raises(RequestInvalid) as refused:
        create(scientist, other_project, notebook)
    assert "AWS account" in refused.value.errors["project"][0]
    _assert_nothing_changed(before)


def test_a_product_the_user_may_not_see_is_a_404_and_changes_nothing(
    create: Callable[..., Request], scientist: User, project: Project, hidden_product: Product
) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(Http404):
        create(scientist, project, hidden_product, parameters={}, tag_choices={})
    _assert_nothing_changed(before)


def test_an_outsider_cannot_request_a_product_of_another_account(
    create: Callable[..., Request], outsider: User, other_project: Project, notebook: Product
) -> None:
    with pytest.raises(Http404):
        create(outsider, other_project, notebook)
    assert Request.objects.count() == 0


def test_a_terminate_request_names_its_environment_and_needs_no_parameters(
    create: Callable[..., Request], scientist: User, project: Project, notebook: Product,
    environment: Any,
) -> None:
    request = create(scientist, project, notebook, action="terminate", parameters={},
                     environment_ref=f" {environment.pk} ")
    assert request.action == "terminate" and request.environment_ref == str(environment.pk)
    assert request.parameters == {}
