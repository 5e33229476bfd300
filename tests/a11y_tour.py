"""The user-facing pages, each as the persona who uses it, for the accessibility tests: the
browser one (axe-core, tests/e2e/test_accessibility.py) and the rendered-HTML one
(tests/portal/test_rendered_accessibility.py). Failed submits are part of the tour: a page with
errors must hold up as well as an empty one."""

from __future__ import annotations

from dataclasses import dataclass, field

from approvals.models import Request
from catalog.models import Product
from portal.models import Project, User
from provisioning.models import Environment
from tests.approvals.conftest import make_environment, request_notebook


@dataclass(frozen=True)
class Stop:
    """One page of the tour. ``post`` is a submit the page refuses (its errors are shown)."""

    name: str
    persona: str
    path: str
    post: dict[str, str] | None = None
    post_path: str = ""
    status: int = 200


@dataclass(frozen=True)
class Tour:
    users: dict[str, User | None]
    stops: list[Stop] = field(default_factory=list)


def tour_build(*, scientist: User, manager: User, platform_admin: User, auditor: User,
               project: Project, notebook: Product) -> Tour:
    """Data for every page (a pending GPU request in the manager's inbox, an available
    environment) and the list of stops."""
    request: Request = request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
    environment: Environment = make_environment(scientist, project, notebook)
    task = request.tasks.get(status="pending")
    product, version = notebook.pk, notebook.versions.get(active=True).pk
    stops = [
        Stop("sign-in", "anonymous", "/accounts/login/"),
        Stop("dashboard", "scientist", "/"),
        Stop("catalog", "scientist", "/catalog/"),
        Stop("product", "scientist", f"/catalog/{product}/"),
        Stop("product, refused parameters", "scientist", f"/catalog/{product}/",
             post={"version": str(version), "NotebookInstanceName": "bad name!",
                   "InstanceType": "ml.t3.medium", "VolumeSizeInGB": "500"}, status=400),
        Stop("request form", "scientist", f"/requests/new?product={product}"),
        Stop("request form, refused", "scientist", f"/requests/new?product={product}",
             post={"req-project": project.slug, "req-justification": "",
                   "NotebookInstanceName": "", "InstanceType": "ml.t3.medium",
                   "VolumeSizeInGB": "500"}, status=400),
        Stop("my requests", "scientist", "/requests/"),
        Stop("request detail", "scientist", f"/requests/{request.pk}/"),
        Stop("environments", "scientist", "/environments/"),
        Stop("environment detail", "scientist", f"/environments/{environment.pk}/"),
        Stop("API token", "scientist", "/account/api-token/"),
        Stop("inbox", "manager", "/requests/inbox/"),
        Stop("inbox, nothing selected", "manager", "/requests/inbox/",
             post_path="/requests/inbox/approve", post={"comment": "ok"}, status=400),
        Stop("request to decide", "manager", f"/requests/{request.pk}/"),
        Stop("request to decide, rejection without comment", "manager", f"/requests/{request.pk}/",
             post_path=f"/requests/tasks/{task.pk}/decide",
             post={"verdict": "reject", "comment": ""}, status=400),
        Stop("manage catalog", "platform_admin", "/catalog/manage/"),
        Stop("manage product", "platform_admin", f"/catalog/manage/{notebook.pk}/"),
        Stop("manage product, refused curation", "platform_admin",
             f"/catalog/manage/{notebook.pk}/", post={"kind": "no-such-kind"}, status=400),
        Stop("manage product, refused parameter override", "platform_admin",
             f"/catalog/manage/{notebook.pk}/", status=400,
             post_path=f"/catalog/manage/{notebook.pk}/parameters/InstanceType/",
             post={"p-InstanceType-key": "InstanceType", "p-InstanceType-narrow": "on",
                   "p-InstanceType-allowed_values": "ml.no-such.type"}),
        Stop("prices", "platform_admin", "/catalog/manage/prices/"),
        Stop("prices, refused", "platform_admin", "/catalog/manage/prices/",
             post={"instance_type": "m5", "usd_per_hour": "-1"}, status=400),
        Stop("all environments", "platform_admin", "/environments/all/"),
        Stop("audit trail", "auditor", "/audit/"),
        Stop("audit trail, refused filter", "auditor", "/audit/?since=yesterday", status=400),
    ]
    users: dict[str, User | None] = {"anonymous": None, "scientist": scientist,
                                     "manager": manager, "platform_admin": platform_admin,
                                     "auditor": auditor}
    return Tour(users=users, stops=stops)

