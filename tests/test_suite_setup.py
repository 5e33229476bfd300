"""What tests/conftest.py sets up once per process for every test: the objects loaded before
the tests run are frozen out of garbage collection, static files come from the source tree."""

from __future__ import annotations

import gc

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage


def test_what_the_process_loaded_before_the_tests_is_left_out_of_garbage_collection() -> None:
    # Django, the apps and the test modules: far more than a test makes.
    assert gc.get_freeze_count() > 100_000


def test_static_files_are_served_from_the_source_tree_without_collectstatic() -> None:
    assert settings.STORAGES["staticfiles"]["BACKEND"] == (
        "django.contrib.staticfiles.storage.StaticFilesStorage")
    assert staticfiles_storage.url("approvals/submit_once.js") == "/static/approvals/submit_once.js"
