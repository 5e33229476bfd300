"""Settings for the test suite: production settings (DEBUG off) with test-only secrets.

CI passes DATABASE_URL and CELERY_BROKER_URL; without them the embedded defaults apply.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("PORTAL_PLAIN_HTTP", "true")
# A fixed test-only Fernet key (32 bytes, url-safe base64) sealing NoEcho parameter values.
os.environ.setdefault("PORTAL_PARAMETER_KEY", "dGVzdC1vbmx5LXBhcmFtZXRlci1rZXktMzJieXRlcyE=")
# The menu's approver checks are kept per session for this long (provisioning/menu_roles.py). At
# the production default (60 s), a query-count test that builds 50 rows on a loaded machine saw
# them asked again mid-test; the tests of the lifetime itself set it explicitly.
os.environ.setdefault("PORTAL_MENU_ROLE_SECONDS", "3600")
os.environ.setdefault(
    "PORTAL_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test")
)

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast local-login tests
# The outbox in memory; a mail test's worker process is given the SMTP backend instead.
EMAIL_BACKEND = os.environ.get("PORTAL_TEST_EMAIL_BACKEND",
                               "django.core.mail.backends.locmem.EmailBackend")

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory, so a worker process sees the test data; one per run, so two runs on
    # one machine never share a test database.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(VAR_DIR, f"test-portal-{os.getpid()}.sqlite3")  # noqa: F405
    }

# A Celery worker started by the background-work tests (tests/provisioning) works on the test
# database of the run that started it: that run passes its database name here.
if os.environ.get("PORTAL_TEST_WORKER_DATABASE"):
    DATABASES["default"]["NAME"] = os.environ["PORTAL_TEST_WORKER_DATABASE"]  # noqa: F405
# `make test` runs the suite in several processes (pytest-xdist). Each one sends its background
# work to a queue of its own, and the Celery worker a test starts (it inherits PYTEST_XDIST_WORKER)
# consumes only that queue, so the processes never take each other's tasks on a shared broker.
if os.environ.get("PYTEST_XDIST_WORKER"):
    CELERY_TASK_DEFAULT_QUEUE = f"portal-test-{os.environ['PYTEST_XDIST_WORKER']}"
