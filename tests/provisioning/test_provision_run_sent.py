"""What the provision task sends to AWS (the name parameter) and what it records of AWS's
answer (the audit trail), on the fake AWS; the run itself: test_environment_provision_run.py."""

from __future__ import annotations

from typing import Any

import pytest

from fakeaws.models import ProvisionedProduct
from portal.models import Project, User
from provisioning.models import Environment
from provisioning.provision_run import environment_provision_run
from provisioning.services import environment_provision
from tests.provisioning.conftest import approved_request, run_until_settled

pytestmark = pytest.mark.django_db
Status = Environment.Status


# --- what is sent as parameters ------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "key"), [("notebook_instance", "NotebookInstanceName"),
                                           ("studio_user_profile", "UserProfileName")])
def test_a_name_the_requester_chose_is_sent_as_chosen_and_an_empty_one_gets_a_unique_name(
        scientist: User, project: Project, django_capture_on_commit_callbacks: Any,
        kind: str, key: str) -> None:
    from tests.provisioning.conftest import make_notebook_product

    product, version = make_notebook_product(project, kind=kind)
    # Only the template's own parameters: AWS refuses a parameter the template does not declare.
    extra = {"InstanceType": "ml.t3.medium"} if kind == "notebook_instance" else {}
    sent = []
    for chosen in ("dana-fraud-nb", ""):
        request = approved_request(requester=scientist, project=project, product=product,
                                   version=version,
                                   parameters={key: chosen, **extra})
        with django_capture_on_commit_callbacks(execute=False):
            environment = environment_provision(request=request)
        assert environment is not None
        environment_provision_run(environment_id=environment.pk)
        in_aws = ProvisionedProduct.objects.get(name=environment.provisioned_product_name)
        sent.append((in_aws.parameters[key], environment.provisioned_product_name))
    (chosen_sent, _), (generated_sent, generated_name) = sent
    assert chosen_sent == "dana-fraud-nb"
    assert generated_sent == generated_name


def test_queued_to_provisioning_is_audited_with_what_aws_accepted(queued: Environment) -> None:
    from portal.models import AuditEvent

    assert environment_provision_run(environment_id=queued.pk) == "provisioning"
    queued.refresh_from_db()
    events = AuditEvent.objects.filter(object_id=str(queued.pk))
    provisioning = events.get(action="environment.provisioning")
    assert provisioning.data == {"record": queued.last_record_id,
                                 "provisioned_product_id": queued.provisioned_product_id}
    assert provisioning.project == queued.project
    assert events.filter(action="environment.status_changed",
                         data={"from": "queued", "to": "provisioning"}).count() == 1
    # Walked to the end, every status the environment went through is in the audit trail.
    environment = run_until_settled(queued)
    assert environment.status == Status.AVAILABLE
    changes = [(e.data["from"], e.data["to"]) for e in AuditEvent.objects.filter(
        object_id=str(queued.pk), action="environment.status_changed").order_by("id")]
    assert changes == [("queued", "provisioning"), ("provisioning", "available")]
