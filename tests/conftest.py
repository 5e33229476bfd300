"""The cast every test reuses (healthchecks style) and shared fixtures."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pytest_django import DjangoDbBlocker
from pytest_django.plugin import blocking_manager_key

from portal.models import Membership, Project, Role, User
from tests import database_template
from tests.settings_env import SettingsFor, settings_reader

PROJECT_ROLE_ARN = "arn:aws:iam::111111111111:role/ml-portal-provisioning"
PROJECT_EXTERNAL_ID = "ml-portal-demo-external-id"


def make_user(username: str, *, roles: list[str] | None = None, manager: User | None = None,
              **extra: object) -> User:
    defaults: dict[str, object] = {
        "email": f"{username}@bank.example",
        "first_name": username.split(".")[0].title(),
        "last_name": "Example",
        "department": "Data Science",
        "cost_center": "CC-1001",
        "owner_id": f"AROAEXAMPLEDATASCIENTIST:{username}",
        "roles": roles or [],
        "manager": manager,
        "is_staff": Role.CATALOG_ADMIN in (roles or []),
    }
    defaults.update(extra)
    return User.objects.create(username=username, **defaults)


def pytest_configure(config: pytest.Config) -> None:
    """A run in several processes (pytest-xdist's controller) names its template database; the
    processes it starts inherit the name (tests/database_template.py)."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        os.environ.setdefault(database_template.TEMPLATE_VARIABLE,
                              database_template.template_tag_for_run())


def _freeze_what_is_loaded() -> None:
    """Leave the objects loaded so far (Django, the apps, botocore's models, the test modules,
    the migrated database's set-up) out of every later garbage collection: they live as long as
    the process, and each full collection walked all of them again (gc.freeze; Python's docs
    suggest it for a process that loads once and then works)."""
    gc.collect()
    gc.freeze()


def pytest_collection_finish(session: pytest.Session) -> None:
    _freeze_what_is_loaded()


def pytest_unconfigure(config: pytest.Config) -> None:
    tag = os.environ.get(database_template.TEMPLATE_VARIABLE)
    if tag and not hasattr(config, "workerinput") and blocking_manager_key in config.stash:
        with config.stash[blocking_manager_key].unblock():
            database_template.drop_template(tag)


@pytest.fixture(scope="session")
def django_db_setup(request: pytest.FixtureRequest, django_test_environment: None,
                    django_db_blocker: DjangoDbBlocker, django_db_keepdb: bool,
                    django_db_createdb: bool) -> Iterator[None]:
    """pytest-django's test database, except that the processes of an xdist run clone one
    migrated template instead of each migrating its own (tests/database_template.py). No test
    uses ``serialized_rollback``, so no database is serialized."""
    from django.test.utils import setup_databases, teardown_databases

    verbosity = request.config.option.verbose
    keepdb = django_db_keepdb and not django_db_createdb
    tag = os.environ.get(database_template.TEMPLATE_VARIABLE)
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    if tag and worker and not keepdb:
        with django_db_blocker.unblock():
            old_name = database_template.clone_for_process(tag=tag, worker=worker,
                                                           verbosity=verbosity)
        _freeze_what_is_loaded()
        yield
        with django_db_blocker.unblock():
            database_template.destroy_clone(old_name=old_name, verbosity=verbosity)
        return
    with django_db_blocker.unblock():
        databases = setup_databases(verbosity=verbosity, interactive=False,
                                    keepdb=keepdb, serialized_aliases=set())
    _freeze_what_is_loaded()
    yield
    if not keepdb:
        with django_db_blocker.unblock():
            teardown_databases(databases, verbosity=verbosity)


@pytest.fixture(autouse=True)
def _fresh_aws_sessions() -> None:
    """Assumed-role credentials are cached per process; the fake AWS that issued them keeps its
    sessions in the test database, which each test starts without: no test reuses another's."""
    from django.core.cache import cache

    from portal.aws import credential_cache

    credential_cache.clear()
    cache.clear()  # the account listings (catalog.resource_choices) are cached per process


@pytest.fixture(scope="session", autouse=True)
def _static_without_collectstatic(django_test_environment: None) -> Iterator[None]:
    """Production hashes static files at build time; tests serve them from the source tree.
    Once for the session: overriding it in every test cost each test a settings change (and
    the static storage made again)."""
    from django.conf import settings
    from django.test import override_settings

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}):
        yield


@pytest.fixture(autouse=True)
def _emails_sent_in_process(request: pytest.FixtureRequest,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A notification's mail task runs at once in the test process (its SMTP send goes to the
    locmem outbox), as a worker would run it; tests with a real worker and broker (those asking
    for a ``real_broker`` fixture) send it to the broker instead, and tests of the queueing
    itself (asking for ``mail_queued``) leave it to the folder's task recorder."""
    if {"real_broker", "mail_queued"} & set(request.fixturenames):
        return
    from portal.tasks import email_send_task

    monkeypatch.setattr(email_send_task, "delay", email_send_task.run)


@pytest.fixture
def settings_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SettingsFor:
    """The settings of a controlled environment, without a Python process each
    (tests/settings_env.py); the settings tests of every app use it."""
    return settings_reader(tmp_path, monkeypatch)


@pytest.fixture
def manager(db: None) -> User:
    return make_user("maria.manager", roles=[Role.APPROVER])


@pytest.fixture
def scientist(db: None, manager: User) -> User:
    """The data scientist: member of the 'fraud' project, reports to the manager."""
    return make_user("dana.scientist", manager=manager)


@pytest.fixture
def colleague(db: None, manager: User) -> User:
    """Same project as the scientist."""
    return make_user("carl.colleague", manager=manager)


@pytest.fixture
def outsider(db: None) -> User:
    """A data scientist on another project."""
    return make_user("otto.outsider", department="Risk", cost_center="CC-2002")


@pytest.fixture
def platform_admin(db: None) -> User:
    return make_user("pat.admin", roles=[Role.CATALOG_ADMIN], department="ML Platform")


@pytest.fixture
def auditor(db: None) -> User:
    return make_user("audrey.auditor", roles=[Role.AUDITOR], department="IT Audit")


@pytest.fixture
def project(db: None, scientist: User, colleague: User, manager: User) -> Project:
    p = Project.objects.create(
        slug="fraud", name="Fraud detection", cost_center="CC-1001", environment="dev",
        aws_account_id="111111111111", aws_region="eu-west-1", monthly_budget=Decimal("2000"),
        # The fake AWS's baseline role in every account (fakeaws/catalog/demo.yaml project_role).
        aws_role_arn=PROJECT_ROLE_ARN, aws_external_id=PROJECT_EXTERNAL_ID,
    )
    Membership.objects.create(user=scientist, project=p, role=Membership.ProjectRole.MEMBER)
    Membership.objects.create(user=colleague, project=p, role=Membership.ProjectRole.MEMBER)
    Membership.objects.create(user=manager, project=p, role=Membership.ProjectRole.LEAD)
    return p


@pytest.fixture
def other_project(db: None, outsider: User) -> Project:
    p = Project.objects.create(
        slug="credit-risk", name="Credit risk", cost_center="CC-2002", environment="prod",
        aws_account_id="222222222222", aws_region="eu-central-1", monthly_budget=Decimal("5000"),
    )
    Membership.objects.create(user=outsider, project=p, role=Membership.ProjectRole.LEAD)
    return p


@pytest.fixture(autouse=True)
def _celery_tasks_send_through_celery(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with Celery's own ``apply_async``/``delay`` on every task: undoing a patch
    of a task object that was read through a patched ``Task`` class leaves the class's fake on
    the object (monkeypatch restores what it read), which silently swallowed later sends."""
    from celery import current_app

    for task in list(current_app.tasks.values()):
        for name in ("apply_async", "delay"):
            if name in vars(task):
                monkeypatch.delattr(task, name)


# Fixtures of the tests that mostly wait (a browser journey on a live server).
_BROWSER_FIXTURES = frozenset({"live_server", "browser", "page"})
# Files that keep one process busy for a minute or more of CPU (the longest of a partial run on
# SQLite, 2026-12-02): handed out first among the files that do not wait, so that none of them
# starts last and becomes the run's tail. tests/test_suite_order.py checks that they exist.
LONG_FILES = frozenset({
    "tests/test_authorization_matrix.py",  # ~1,840 requests in one test
    "tests/approvals/test_query_counts.py",
    "tests/approvals/test_inbox_scale.py",
    "tests/approvals/test_inbox_preview.py",
})


def _waits(item: pytest.Item) -> int:
    """2 for a test that drives a browser with a real Celery worker, 1 for one of them."""
    from tests.provisioning.worker import WorkerProcess

    module = getattr(item, "module", None)
    # By identity: some imported names (botocore's ANY) are equal to everything.
    worker = module is not None and any(v is WorkerProcess for v in vars(module).values())
    # A module that mostly waits on subprocesses of its own says so (tests/test_bench_run_all.py).
    declared = int(getattr(module, "SUITE_WAITS", 0))
    return max(declared, int(worker) + int(bool(
        _BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())))))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the files that wait longest run first. `make pytest` (``--dist
    loadfile --no-loadscope-reorder``) hands whole files to its processes in this order: a
    one-minute journey handed out last would be the run's tail, and the waits of the first ones
    overlap with the CPU-bound files the other processes run meanwhile; among the others, the
    LONG_FILES come first. Each file's tests stay together and in their order; a run without
    xdist keeps pytest-django's order."""
    if not hasattr(config, "workerinput"):
        return
    rank: dict[str, int] = {}
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        path = item.nodeid.split("::", 1)[0]
        rank[path] = max(rank.get(path, 0), _waits(item))
        first.setdefault(path, index)
    items.sort(key=lambda item: (-rank[item.nodeid.split("::", 1)[0]],
                                 item.nodeid.split("::", 1)[0] not in LONG_FILES,
                                 first[item.nodeid.split("::", 1)[0]]))
