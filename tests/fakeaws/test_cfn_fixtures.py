"""Each shape fixture really has the awkward shape it claims (what the portal must cope with)."""

from __future__ import annotations

from pathlib import Path

from fakeaws.cfn import StackInstance, Template

from .cfn_support import ACCOUNT, REGION, STACK_NAME, context

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cfn"
ROLE = "arn:aws:iam::123456789012:role/ml-execution"
EXPORTS = {"ml-platform-StudioDomainId": "d-abcdefghijkl"}
NOTEBOOK_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/"


def load(name: str) -> Template:
    return Template.load((FIXTURES / name).read_text())


def launch(name: str, **parameters: str) -> StackInstance:
    return load(name).instantiate(context=context(parameters, exports=EXPORTS))


def test_url_only_outputs_a_console_link_naming_the_generated_notebook() -> None:
    outputs = launch("notebook-outputs-url-only.yaml", ExecutionRoleArn=ROLE).outputs
    assert list(outputs) == ["OpenNotebookUrl"]
    assert outputs["OpenNotebookUrl"].startswith(f"https://{REGION}.console.aws.amazon.com/")
    assert f"/openNotebook/{STACK_NAME}-Notebook-S00000000001?" in outputs["OpenNotebookUrl"]


def test_arn_only_outputs_the_notebook_arn_with_its_lower_cased_generated_name() -> None:
    outputs = launch("notebook-outputs-arn-only.yaml", ExecutionRoleArn=ROLE).outputs
    assert outputs == {
        "NotebookArn": f"{NOTEBOOK_ARN}{STACK_NAME.lower()}-notebook-s00000000001"}


def test_no_outputs_reports_nothing() -> None:
    instance = launch("notebook-no-outputs.yaml", ExecutionRoleArn=ROLE)
    assert instance.outputs == {}
    assert instance.resources[0].name == f"{STACK_NAME}-Notebook-S00000000001"


def test_name_in_parameter_names_the_notebook_but_outputs_only_the_role() -> None:
    instance = launch("notebook-name-in-parameter.yaml", NotebookName="alice-nb",
                      ExecutionRoleArn=ROLE)
    assert instance.outputs == {"RoleUsed": ROLE}
    assert instance.resources[0].name == "alice-nb"


def test_name_sub_builds_the_name_from_several_parameters() -> None:
    instance = launch("notebook-name-sub.yaml", Team="risk", UseCase="churn",
                      ExecutionRoleArn=ROLE)
    assert instance.resources[0].name == "risk-churn-dev"
    assert instance.outputs == {"NotebookArn": f"{NOTEBOOK_ARN}risk-churn-dev"}


def test_fixed_default_name_gives_every_launch_the_same_name() -> None:
    decl = load("notebook-fixed-default-name.yaml").parameters[0]
    assert (decl.key, decl.default) == ("NotebookInstanceName", "myNotebook")
    first = launch("notebook-fixed-default-name.yaml", ExecutionRoleArn=ROLE)
    second = launch("notebook-fixed-default-name.yaml", ExecutionRoleArn=ROLE)
    assert first.outputs == second.outputs == {"NotebookInstanceName": "myNotebook"}


def test_network_fixture_declares_the_aws_specific_and_list_types() -> None:
    types = {d.key: d.type for d in load("notebook-network-parameter-types.yaml").parameters}
    assert types["VpcId"] == "AWS::EC2::VPC::Id"
    assert types["SubnetId"] == "AWS::EC2::Subnet::Id"
    assert types["SecurityGroupIds"] == "List<AWS::EC2::SecurityGroup::Id>"
    assert types["CodeRepositories"] == "CommaDelimitedList"
    instance = launch("notebook-network-parameter-types.yaml", VpcId="vpc-01234567",
                      SubnetId="subnet-01234567", SecurityGroupIds="sg-01234567, sg-89abcdef",
                      ExecutionRoleArn=ROLE)
    assert instance.resources[0].properties["SecurityGroupIds"] == ["sg-01234567",
                                                                    "sg-89abcdef"]


def test_profile_domain_comes_from_the_platform_export() -> None:
    instance = launch("studio-profile-importvalue.yaml", UserProfileName="alice",
                      ExecutionRoleArn=ROLE)
    assert instance.resources[0].properties["DomainId"] == "d-abcdefghijkl"
    assert instance.outputs == {"UserProfileName": "alice"}


def test_profile_arn_only_outputs_the_profile_arn() -> None:
    outputs = launch("studio-profile-arn-only.yaml", DomainId="d-abcdefghijkl",
                     UserProfileName="Alice", ExecutionRoleArn=ROLE).outputs
    assert outputs == {"UserProfile": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:user-profile/"
                                      "d-abcdefghijkl/alice"}


def test_domain_id_only_outputs_the_domain_and_not_the_profile() -> None:
    outputs = launch("studio-outputs-domain-id-only.yaml", StudioDomainId="d-abcdefghijkl",
                     UserProfileName="alice", ExecutionRoleArn=ROLE).outputs
    assert outputs == {"DomainId": "d-abcdefghijkl"}


def test_project_templates_leave_name_and_id_to_sagemaker() -> None:
    for name, no_echo in (("sagemaker-project-no-default.yaml", False),
                          ("sagemaker-project-noecho.yaml", True)):
        decls = {d.key: d for d in load(name).parameters}
        for key in ("SageMakerProjectName", "SageMakerProjectId"):
            assert decls[key].default is None
            assert decls[key].no_echo is no_echo
        instance = launch(name, SageMakerProjectName="fraud", SageMakerProjectId="p-abc123")
        assert instance.outputs["ArtifactBucket"] == "sagemaker-p-abc123-artifacts"
