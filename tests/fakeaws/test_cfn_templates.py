"""Every template the product ships or the tests use: loads, maps to Service Catalog's shape,
instantiates, and passes cfn-lint's rules."""

from __future__ import annotations

from pathlib import Path

import botocore.session
import pytest
from botocore.validate import ParamValidator
from cfnlint.api import lint
from cfnlint.core import get_rules
from cfnlint.rules import RulesCollection

from fakeaws.cfn import Template, provisioning_parameter

from .cfn_support import context

ROOT = Path(__file__).resolve().parents[2]
CATALOG = sorted((ROOT / "fakeaws" / "catalog" / "templates").glob("*.yaml"))
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "cfn").glob("*.yaml"))
TEMPLATES = CATALOG + FIXTURES
EXPORTS = {"ml-platform-StudioDomainId": "d-abcdefghijkl"}
# Sample values for parameters without defaults, by name (as a requester or SageMaker would give).
SAMPLES = {
    "NotebookInstanceName": "alice-churn", "NotebookName": "alice-churn",
    "UserProfileName": "alice", "SageMakerProjectName": "fraud-model",
    "SageMakerProjectId": "p-abcdefghijkl", "Team": "risk", "UseCase": "churn",
    "KmsKeyId": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
    "ExecutionRoleArn": "arn:aws:iam::123456789012:role/ml-execution",
    "SubnetId": "subnet-0123456789abcdef0", "VpcId": "vpc-0123456789abcdef0",
    "SecurityGroupIds": "sg-0123456789abcdef0,sg-89abcdef",
    "DomainId": "d-abcdefghijkl", "StudioDomainId": "d-abcdefghijkl",
}
# cfn-lint warnings judged acceptable, per file: W6001 flags an output that re-exports an
# imported value; the profile reports its domain id that way on purpose.
ACCEPTED_WARNINGS = {"studio-user-profile.yaml": {"W6001"}}
# Findings where the bundled cfn-lint schema lags CloudFormation: its UserProfile schema
# defines AppLifecycleManagement/IdleSettings but JupyterLabAppSettings does not reference them,
# while the CloudFormation reference (AWS::SageMaker::UserProfile JupyterLabAppSettings) lists
# AppLifecycleManagement. Only this exact message is accepted.
SCHEMA_LAG = {("studio-user-profile.yaml", "E3002",
               "Additional properties are not allowed ('AppLifecycleManagement' was unexpected)")}


def test_there_are_templates_to_check() -> None:
    assert len(CATALOG) == 4
    assert len(FIXTURES) >= 12


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_parameters_have_the_botocore_provisioning_parameter_shape(path: Path) -> None:
    model = botocore.session.get_session().get_service_model("servicecatalog")
    shape = model.shape_for("ProvisioningArtifactParameter")
    template = Template.load(path.read_text())
    assert template.parameters
    for decl in template.parameters:
        report = ParamValidator().validate(provisioning_parameter(decl), shape)
        assert not report.has_errors(), report.generate_report()


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_it_instantiates_with_sample_parameters(path: Path) -> None:
    template = Template.load(path.read_text())
    given = {d.key: SAMPLES[d.key] for d in template.parameters if d.default is None}
    resolved = template.resolve_parameters(given)
    instance = template.instantiate(context=context(resolved, exports=EXPORTS))
    assert instance.resources
    assert list(instance.outputs) == [k for k in template.output_keys if k in instance.outputs]


@pytest.fixture(scope="module")
def rules() -> RulesCollection:
    """cfn-lint's rules, loaded once (loading them costs more than linting a template)."""
    return get_rules([], [], [])


def findings(text: str, rules: RulesCollection) -> set[tuple[str, int, str]]:
    return {(m.rule.id, m.linenumber, m.message)
            for m in lint(text, rules=rules, regions=["eu-west-1"])}


def test_the_linter_does_report_a_broken_template(rules: RulesCollection) -> None:
    broken = ("Resources:\n  Notebook:\n    Type: AWS::SageMaker::NotebookInstance\n"
              "    Properties: {InstanceTyp: ml.t3.medium, RoleArn: !GetAtt Nope.Arn}\n")
    assert {rule for rule, _, _ in findings(broken, rules)} >= {"E3002", "E1010"}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_cfn_lint_finds_no_errors(path: Path, rules: RulesCollection) -> None:
    accepted = ACCEPTED_WARNINGS.get(path.name, set())
    assert {f for f in findings(path.read_text(), rules) if f[0] not in accepted
            and (path.name, f[0], f[2]) not in SCHEMA_LAG} == set()


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_each_fixture_says_which_real_world_shape_it_reproduces(path: Path) -> None:
    assert path.read_text().startswith("# Shape: ")
