"""The fake keeps its state in the database: another process sees what this one provisioned."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.fakeaws.conftest import PROJECT_ACCOUNT, REGION, TEST_CATALOG, provision

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("test_catalog")]
ROOT = Path(__file__).resolve().parents[2]

SCRIPT = f"""
import django
django.setup()
from django.conf import settings
settings.FAKEAWS_CATALOG_FILE = {str(TEST_CATALOG)!r}
from tests.fakeaws.conftest import client, session_credentials
sm = client("sagemaker", credentials=session_credentials(account={PROJECT_ACCOUNT!r}))
print(sm.describe_notebook_instance(NotebookInstanceName="dana-nb")["NotebookInstanceArn"])
"""


def test_a_subprocess_sees_the_notebook_this_process_provisioned(project_client: Any) -> None:
    provision(project_client("servicecatalog"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "PORTAL_TEST_WORKER_DATABASE": str(connection.settings_dict["NAME"]),
           "FAKEAWS_OPERATION_SECONDS": "0", "FAKEAWS_CONSISTENCY_SECONDS": "0"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == (
        f"arn:aws:sagemaker:{REGION}:{PROJECT_ACCOUNT}:notebook-instance/dana-nb")
