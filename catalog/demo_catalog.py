"""The demo catalog the local simulator serves: what a bank's ML platform team typically offers.

Shapes follow the Service Catalog API. ``{account}`` and ``{region}`` are filled per target.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

PORTFOLIO = {
    "Id": "port-mldemo000001",
    "ARN": "arn:aws:catalog:{region}:{account}:portfolio/port-mldemo000001",
    "DisplayName": "Machine learning environments",
    "Description": "Approved SageMaker environments for data science teams.",
    "ProviderName": "ML Platform team",
    "CreatedTime": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
}

TAG_OPTIONS = [
    {"Id": "tag-mldemo-ds-confidential", "Key": "data-classification", "Value": "confidential",
     "Active": True},
    {"Id": "tag-mldemo-ds-internal", "Key": "data-classification", "Value": "internal",
     "Active": True},
]

_INSTANCE_TYPES = ["ml.t3.medium", "ml.m5.xlarge", "ml.c5.xlarge", "ml.p3.2xlarge"]
_NOTEBOOK_NAME = {
    "ParameterKey": "NotebookInstanceName",
    "ParameterType": "String",
    "IsNoEcho": False,
    "Description": "Name of the notebook instance: letters, digits and hyphens.",
    "ParameterConstraints": {
        "AllowedValues": [],
        "AllowedPattern": "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
        "ConstraintDescription": "Letters, digits and single hyphens, at most 63 characters.",
        "MinLength": "1",
        "MaxLength": "63",
    },
}


def _fixed(key: str, value: str, description: str) -> dict[str, Any]:
    """A parameter the template pins to a single allowed value (a guardrail)."""
    return {
        "ParameterKey": key, "ParameterType": "String", "IsNoEcho": False, "DefaultValue": value,
        "Description": description, "ParameterConstraints": {"AllowedValues": [value]},
    }


def _notebook_parameters(*, with_volume: bool) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        _NOTEBOOK_NAME,
        {
            "ParameterKey": "InstanceType", "ParameterType": "String", "IsNoEcho": False,
            "DefaultValue": "ml.t3.medium", "Description": "Compute size of the notebook.",
            "ParameterConstraints": {"AllowedValues": _INSTANCE_TYPES},
        },
    ]
    if with_volume:
        parameters.append({
            "ParameterKey": "VolumeSizeInGB", "ParameterType": "Number", "IsNoEcho": False,
            "DefaultValue": "20", "Description": "Size of the ML storage volume in GB.",
            "ParameterConstraints": {"AllowedValues": [], "MinValue": "5", "MaxValue": "100"},
        })
    parameters += [
        _fixed("KmsKeyId", "arn:aws:kms:{region}:{account}:alias/ml-notebooks",
               "KMS key that encrypts the ML storage volume."),
        _fixed("RootAccess", "Disabled", "Root access on the notebook instance."),
        _fixed("DirectInternetAccess", "Disabled",
               "Internet access goes through the VPC, never directly."),
    ]
    return parameters


PRODUCTS: list[dict[str, Any]] = [
    {
        "summary": {
            "Id": "prodview-mldemonb0001", "ProductId": "prod-mldemonb0001",
            "Name": "SageMaker notebook instance", "Owner": "ML Platform team",
            "ShortDescription": "A Jupyter notebook instance in your project's VPC, encrypted "
                                "with the project's KMS key, without root or direct internet.",
            "Type": "CLOUD_FORMATION_TEMPLATE", "Distributor": "ML Platform team",
            "HasDefaultPath": True, "SupportEmail": "ml-platform@bank.example",
        },
        "tag_options": ["tag-mldemo-ds-confidential", "tag-mldemo-ds-internal"],
        "versions": [
            {"Id": "pa-mldemonb0001v1", "Name": "v1", "Active": True, "Guidance": "DEPRECATED",
             "Description": "First release; fixed 5 GB volume.",
             "CreatedTime": datetime(2026, 1, 10, 9, 0, tzinfo=UTC),
             "parameters": _notebook_parameters(with_volume=False)},
            {"Id": "pa-mldemonb0001v2", "Name": "v2", "Active": True, "Guidance": "DEFAULT",
             "Description": "Choose the volume size (5–100 GB).",
             "CreatedTime": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
             "parameters": _notebook_parameters(with_volume=True)},
        ],
        "outputs": ["NotebookInstanceName", "NotebookInstanceArn"],
    },
    {
        "summary": {
            "Id": "prodview-mldemostudio1", "ProductId": "prod-mldemostudio1",
            "Name": "SageMaker Studio user profile", "Owner": "ML Platform team",
            "ShortDescription": "Your own user profile in the project's SageMaker Studio domain.",
            "Type": "CLOUD_FORMATION_TEMPLATE", "Distributor": "ML Platform team",
            "HasDefaultPath": True, "SupportEmail": "ml-platform@bank.example",
        },
        "tag_options": ["tag-mldemo-ds-confidential", "tag-mldemo-ds-internal"],
        "versions": [
            {"Id": "pa-mldemostudio1v1", "Name": "v1", "Active": True, "Guidance": "DEFAULT",
             "Description": "Studio user profile with the team's execution role.",
             "CreatedTime": datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
             "parameters": [
                 _fixed("DomainId", "d-mldemo0000001", "The project's Studio domain."),
                 {"ParameterKey": "UserProfileName", "ParameterType": "String",
                  "IsNoEcho": False, "Description": "Name of your Studio user profile.",
                  "ParameterConstraints": {
                      "AllowedValues": [],
                      "AllowedPattern": "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
                      "ConstraintDescription": "Letters, digits and single hyphens.",
                      "MaxLength": "63"}},
                 {"ParameterKey": "ExecutionRoleArn", "ParameterType": "String",
                  "IsNoEcho": False,
                  "DefaultValue": "arn:aws:iam::{account}:role/SageMakerStudioExecution",
                  "Description": "IAM role Studio apps run with.",
                  "ParameterConstraints": {
                      "AllowedValues": [],
                      "AllowedPattern": "^arn:aws:iam::\\d{12}:role/[\\w+=,.@/-]+$",
                      "ConstraintDescription": "An IAM role ARN."}},
             ]},
        ],
        "outputs": ["DomainId", "UserProfileName"],
    },
    {
        "summary": {
            "Id": "prodview-mldemomlops01", "ProductId": "prod-mldemomlops01",
            "Name": "SageMaker project: model build, train and deploy", "Owner": "ML Platform team",
            "ShortDescription": "An MLOps template: CodeCommit repositories, a SageMaker pipeline "
                                "for building and training, and staged deployment.",
            "Type": "CLOUD_FORMATION_TEMPLATE", "Distributor": "ML Platform team",
            "HasDefaultPath": True, "SupportEmail": "ml-platform@bank.example",
        },
        "tag_options": ["tag-mldemo-ds-confidential"],
        "versions": [
            {"Id": "pa-mldemomlops01v1", "Name": "v1", "Active": True, "Guidance": "DEFAULT",
             "Description": "Model build, train and deploy.",
             "CreatedTime": datetime(2026, 2, 15, 9, 0, tzinfo=UTC),
             "parameters": [
                 {"ParameterKey": "SageMakerProjectName", "ParameterType": "String",
                  "IsNoEcho": False, "Description": "Name of the SageMaker project.",
                  "ParameterConstraints": {
                      "AllowedValues": [], "AllowedPattern": "^[a-zA-Z](-*[a-zA-Z0-9])*$",
                      "MinLength": "1", "MaxLength": "32",
                      "ConstraintDescription": "Starts with a letter; letters, digits, hyphens."}},
                 {"ParameterKey": "SageMakerProjectId", "ParameterType": "String",
                  "IsNoEcho": False, "Description": "Service generated id of the project.",
                  "DefaultValue": "generated",
                  "ParameterConstraints": {"AllowedValues": [], "MaxLength": "20"}},
                 {"ParameterKey": "TrainingInstanceType", "ParameterType": "String",
                  "IsNoEcho": False, "DefaultValue": "ml.m5.xlarge",
                  "Description": "Instance type of the training jobs.",
                  "ParameterConstraints": {"AllowedValues": _INSTANCE_TYPES[1:]}},
             ]},
        ],
        "outputs": ["SageMakerProjectName", "SageMakerProjectId"],
    },
]

# On-demand SageMaker prices in US dollars per hour (public list prices, rounded; edit them under
# "Manage catalog → Prices"). The simulator creates missing rows for the target's region.
PRICES: dict[str, Decimal] = {
    "ml.t3.medium": Decimal("0.0500"),
    "ml.m5.xlarge": Decimal("0.2300"),
    "ml.c5.xlarge": Decimal("0.2040"),
    "ml.p3.2xlarge": Decimal("3.8250"),
}
