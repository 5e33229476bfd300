"""One full journey, then a scan for its secrets: 0 presigned URLs, launch tokens, NoEcho values.

The journey goes through the portal's public behaviour only (the API, the pages, the Celery
tasks run in this process): a request with a NoEcho parameter, its approvals, provisioning, open
(a presigned URL with its token), stop, start. Captured on the way: every log record of every
logger at DEBUG, the e-mails (locmem outbox) and each enqueued task message as Celery would
serialise it. Then every text and JSON column of every table (all installed models, found by
introspection, sessions decoded) and all the captured text is searched for the three secrets.

Left out of the database scan: the stand-ins for AWS itself (the fake AWS app and the portal's
simulator models), which hold what AWS would hold (the provisioned parameters, the notebook a URL
opens); they are not the portal's storage.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from celery import current_app
from celery.app.task import Task
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection, models
from django.test import Client
from kombu.serialization import dumps
from rest_framework.test import APIClient

from approvals.models import ApprovalTask, Request
from catalog.models import LaunchPath, ParameterSpec, Product
from portal.aws import credential_cache
from portal.models import Project, User
from portal.sealing import SEALED_PREFIX
from portal.tasks import sessions_clear_expired_task  # any task: only its message is read
from provisioning.models import Environment

pytestmark = pytest.mark.django_db
NOECHO_VALUE = "ghp-journey-noecho-Zq7xK2"
AWS_STAND_IN_APPS = {"fakeaws"}


class Broker:
    """Task messages captured as serialised (never sent to the shared test broker), then run."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.queue: list[tuple[Task, tuple[Any, ...], dict[str, Any]]] = []

    def publish(self, task: Task, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        args, kwargs = tuple(args or ()), dict(kwargs or {})
        # Celery's task protocol 2: body (args, kwargs, embed) in the task serializer, and the
        # argsrepr/kwargsrepr headers; both are what a broker would store.
        _type, _encoding, body = dumps((args, kwargs, {}), serializer=task.app.conf.task_serializer)
        self.messages.append(f"{task.name} {body!r} {args!r} {kwargs!r} {options!r}")
        self.queue.append((task, args, kwargs))

    def drain(self, capture: Callable[..., Any], *, limit: int = 60) -> None:
        """Run the queued tasks in this process (and those they enqueue), as a worker would."""
        for _ in range(limit):
            if not self.queue:
                return
            task, args, kwargs = self.queue.pop(0)
            with capture(execute=True):
                task.run(*args, **kwargs)
        raise AssertionError(f"tasks still queued after {limit}: {self.queue}")


@pytest.fixture(autouse=True)
def sent_tasks(monkeypatch: pytest.MonkeyPatch) -> Broker:  # replaces the folder's recorder
    broker = Broker()

    def apply_async(task: Task, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        broker.publish(task, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", apply_async)
    # Also on each task itself: other folders' fixtures patch task instances, and undoing that
    # can leave a bound apply_async/delay on the instance that would bypass the class.
    for task in list(current_app.tasks.values()):
        monkeypatch.setattr(task, "apply_async", functools.partial(apply_async, task))
        monkeypatch.setattr(task, "delay", functools.partial(
            lambda task, *args, **kwargs: apply_async(task, args, kwargs), task))
    return broker


class Everything(logging.Handler):
    """Every record of every logger, formatted with its arguments."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name} {text} {record.__dict__!r}")


@pytest.fixture
def all_logs() -> Iterator[Everything]:
    handler = Everything()
    # Every SQL statement with its parameters logged at DEBUG too (as with DEBUG on), so a
    # secret that merely passes through a query is found as well.
    connection.force_debug_cursor = True
    loggers = [logging.getLogger()] + [logging.getLogger(name) for name in
                                       list(logging.root.manager.loggerDict)]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    # As a deployment running with LOG_LEVEL=DEBUG logs: everything at DEBUG except the libraries
    # the settings pin (botocore logs whole response bodies at DEBUG; the SAML libraries log
    # assertions), which keep their pinned level, children included.
    pinned = tuple(settings.LOGGING["loggers"])
    for lg in loggers:
        lg.addHandler(handler)  # also those that do not propagate to the root
        if not any(lg.name == name or lg.name.startswith(name + ".") for name in pinned):
            lg.setLevel(logging.DEBUG)
        lg.disabled = False
    yield handler
    connection.force_debug_cursor = False
    for lg, level, disabled in saved:
        lg.removeHandler(handler)
        lg.setLevel(level)
        lg.disabled = disabled


def aws_stand_in(model: type[models.Model]) -> bool:
    return model._meta.app_label in AWS_STAND_IN_APPS or model.__name__.startswith("Simulated")


def aws_stand_in_sql(line: str) -> bool:
    """An SQL log line of the AWS stand-in's own tables (what AWS holds, not the portal)."""
    tables = {f'"{m._meta.db_table}"' for m in apps.get_models() if aws_stand_in(m)}
    return line.startswith("django.db.backends ") and any(t in line for t in tables)


def database_text() -> Iterator[tuple[str, str]]:
    """(table.column, text) for every text-like and JSON column of every model's table."""
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if aws_stand_in(model):
            continue
        names = [f.attname for f in meta.concrete_fields
                 if isinstance(f, (models.CharField, models.TextField, models.JSONField,
                                   models.BinaryField))]
        for row in model._default_manager.values_list(*names) if names else []:
            for name, value in zip(names, row, strict=True):
                yield f"{meta.db_table}.{name}", str(value)
    for session in Session.objects.all():  # signed and encoded: read what it holds
        yield "django_session.decoded", repr(session.get_decoded())


def found(secret: str, *, logs: Everything, broker: Broker, database: bool = True) -> list[str]:
    places = [where for where, text in database_text() if secret in text] if database else []
    places += [f"log: {line[:120]}" for line in logs.lines
               if secret in line and not aws_stand_in_sql(line)
               and (database or not line.startswith("django.db.backends "))]
    for message in mail.outbox:
        text = repr((message.subject, message.body, message.to,
                     getattr(message, "alternatives", [])))
        if secret in text:
            places.append(f"mail: {message.subject}")
    places += [f"broker: {m[:120]}" for m in broker.messages if secret in m]
    return places


@pytest.fixture
def journey_product(notebook: Product, settings: Any) -> Product:
    """The notebook product with a NoEcho parameter (a Git token) and a launch path, served by
    the fake AWS (its catalog file names the same ids) and answering at once."""
    settings.FAKEAWS_CATALOG_FILE = str(Path(__file__).parent / "scan_catalog" / "catalog.yaml")
    settings.FAKEAWS_OPERATION_SECONDS = 0
    settings.FAKEAWS_CONSISTENCY_SECONDS = 0
    settings.PORTAL_BASE_URL = "http://testserver"
    settings.FAKEAWS_BASE_URL = ""
    credential_cache.clear()
    ParameterSpec.objects.create(version=notebook.versions.get(name="v1"), key="GitToken",
                                 position=4, no_echo=True, default="")
    LaunchPath.objects.create(product=notebook, path_id="lpv3-nb", name="ML")
    return notebook


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def run_journey(*, scientist: User, approvers: list[User], project: Project, product: Product,
                broker: Broker, capture: Callable[..., Any]) -> tuple[Environment, str]:
    """Request → approvals → provisioning → open → stop → start; returns the presigned URL."""
    with capture(execute=True):
        answer = api(scientist).post("/api/v1/requests", {
            "project": project.slug, "product": product.pk,
            "parameters": {"NotebookInstanceName": "dana-nb", "InstanceType": "ml.t3.medium",
                           "GitToken": NOECHO_VALUE},
            "tag_choices": {"data-classification": "internal"},
            "justification": "Clone the private repository."}, format="json")
    assert answer.status_code == 201, answer.content
    request = Request.objects.get(pk=answer.json()["id"])
    for _ in range(5):  # each open step, decided by the first eligible approver who may
        task = ApprovalTask.objects.filter(request=request, status="pending").first()
        if task is None:
            break
        for approver in approvers:
            with capture(execute=True):
                decided = api(approver).post(f"/api/v1/tasks/{task.pk}/approve", {},
                                             format="json")
            if decided.status_code == 201:
                break
        else:
            raise AssertionError(f"nobody could approve task {task.pk}")
    request.refresh_from_db()
    assert request.status == Request.Status.APPROVED
    broker.drain(capture)
    environment = Environment.objects.get(origin_request=request)
    assert environment.status == Environment.Status.AVAILABLE, environment.status_message

    owner = page(scientist)
    with capture(execute=True):
        opened = owner.post(f"/environments/{environment.pk}/open")
    assert opened.status_code == 302
    url = opened["Location"]
    landed = Client().get(urlsplit(url).path + "?" + urlsplit(url).query)
    assert landed.status_code == 200

    for action, settled in (("stop", Environment.Status.STOPPED),
                            ("start", Environment.Status.AVAILABLE)):
        with capture(execute=True):
            acted = owner.post(f"/environments/{environment.pk}/{action}")
        assert acted.status_code == 302, (action, acted.content)
        broker.drain(capture)
        environment.refresh_from_db()
        assert environment.status == settled, (action, environment.status_message)
    return environment, url


def test_a_full_journey_leaves_no_presigned_url_token_or_noecho_value_anywhere(
        scientist: User, manager: User, platform_admin: User, project: Project,
        journey_product: Product, demo_policies: None, sent_tasks: Broker,
        all_logs: Everything, django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    environment, url = run_journey(
        scientist=scientist, approvers=[manager, platform_admin], project=project,
        product=journey_product, broker=sent_tasks, capture=django_capture_on_commit_callbacks)
    # The launch token: the URL's longest query value (the simulator's `token`, AWS's `authToken`).
    token = max((v for vs in parse_qs(urlsplit(url).query).values() for v in vs), key=len)

    # The journey happened, and was recorded where the scan looks.
    assert sent_tasks.messages and mail.outbox
    assert any(line.startswith("django.db.backends ") for line in all_logs.lines)
    assert environment.events.filter(kind="launch").exists()
    assert environment.parameters["GitToken"].startswith(SEALED_PREFIX)  # stored, sealed
    assert len(token) >= 20 and len(list(database_text())) > 100

    for name, secret in (("presigned URL", url), ("launch token", token),
                         ("NoEcho value", NOECHO_VALUE)):
        assert found(secret, logs=all_logs, broker=sent_tasks) == [], name
    # The sealed value lives in its columns (and their SQL) only: no log line, e-mail or message.
    assert found(SEALED_PREFIX, logs=all_logs, broker=sent_tasks, database=False) == []

    # Where people look, the NoEcho value is masked: neither the clear value nor its ciphertext.
    request = environment.origin_request
    shown = [api(scientist).get(f"/api/v1/requests/{request.pk}"),
             page(scientist).get(f"/environments/{environment.pk}/"),
             page(platform_admin).get(f"/admin/approvals/request/{request.pk}/change/"),
             page(platform_admin).get(f"/admin/provisioning/environment/{environment.pk}/change/")]
    for answer in shown:
        assert answer.status_code == 200
        body = answer.content.decode()
        assert NOECHO_VALUE not in body and SEALED_PREFIX not in body
    assert api(scientist).get(f"/api/v1/requests/{request.pk}").json()["parameters"][
        "GitToken"] == "****"


def test_the_scan_finds_a_secret_put_in_a_column_a_log_line_an_e_mail_or_a_message(
        scientist: User, sent_tasks: Broker, all_logs: Everything) -> None:
    """The scanner itself bites: each place it searches, given a secret on purpose, reports it."""
    secret = "planted-secret-4c1d"
    assert found(secret, logs=all_logs, broker=sent_tasks) == []
    User.objects.filter(pk=scientist.pk).update(department=f"Data {secret}")
    logging.getLogger("quiet.module").debug("value=%s", secret)
    mail.send_mail("Hello", f"see {secret}", "portal@bank.example", ["x@bank.example"])
    sessions_clear_expired_task.apply_async(kwargs={"note": secret})
    places = found(secret, logs=all_logs, broker=sent_tasks)
    kinds = [p.split(":")[0].split(".")[0] for p in places]
    assert set(kinds) == {"portal_user", "log", "mail", "broker"}, places
    assert any(p.startswith("log: quiet.module") for p in places)  # any logger, DEBUG
