"""IAM-lite: the whitepaper's owner condition, enforced per account when configured.

``FAKEAWS_OWNER_CONDITION`` maps an account to the owner tag key and what it is compared with:
``principal-tag`` (``sagemaker:ResourceTag/<key> == ${aws:PrincipalTag/<key>}``) or ``userid``
(``== ${aws:userid}``, which is ``<RoleId>:<RoleSessionName>`` for an assumed role).

Facts (IAM policy evaluation docs): a condition on a key the request lacks (an untagged
resource, an untagged session) evaluates false, so the Allow does not apply and the implicit
deny wins; the error then reads "User: <arn> is not authorized to perform: <action> on resource:
<arn> because no identity-based policy allows the <action> action".

How ``${aws:PrincipalTag/<key>}`` gets its value (IAM user guide, "Pass session tags in AWS STS"):
the principal's tags of an assumed-role session are the session tags passed to AssumeRole, the
transitive tags of an earlier session in a role chain, and the role's own IAM tags, a session tag
overriding a role tag of the same key. The fake's roles carry no IAM tags and the portal does not
chain roles (it assumes every role from its own identity; the fake's trust policy refuses a
project-account session), so the session tags are the whole set. Condition key names, and so
the tag key in ``aws:PrincipalTag/<key>``, are matched without regard to case (IAM JSON policy
reference, "Condition element"); the values are compared exactly (``StringEquals``).

``FAKEAWS_IAM_POLICIES`` maps an account to identity policy documents (JSON, such as the portal's
generated policy pack): when an account has them, the owner-checked calls are decided by
evaluating those documents (``fakeaws.iam_policy``) against the request context AWS builds: the
session's ``aws:PrincipalTag/*``, ``aws:userid``, ``aws:PrincipalArn`` (the role's ARN for an
assumed-role session), ``aws:PrincipalAccount``, and the resource's tags as ``aws:ResourceTag/*``
(and ``<service>:ResourceTag/*``).

``FAKEAWS_ADMIN_ROLE_NAME`` names the explicit admin role of every account (the portal's
``PORTAL_AWS_ADMIN_ROLE_NAME``): it trusts the portal like the project role does, and its
policy has no owner condition, so an admin acting through it is allowed on anyone's resources.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from fakeaws.iam_policy import Call, decision
from fakeaws.identity import Caller
from fakeaws.models import Tag
from fakeaws.protocol import AwsError


def owner_rule(account: str) -> tuple[str, str] | None:
    rules: dict[str, list[str]] = getattr(settings, "FAKEAWS_OWNER_CONDITION", {}) or {}
    rule = rules.get(account)
    if not rule:
        return None
    key = rule[0]
    mode = rule[1] if len(rule) > 1 else "principal-tag"
    return key, mode


def admin_role_arn(account: str) -> str:
    """The account's explicit admin role, or "" when the fake has none configured."""
    name = str(getattr(settings, "FAKEAWS_ADMIN_ROLE_NAME", "") or "")
    return f"arn:aws:iam::{account}:role/{name}" if name else ""


def account_policies(account: str) -> list[dict[str, Any]]:
    """The identity policies of the account's project role (``FAKEAWS_IAM_POLICIES``)."""
    configured: dict[str, list[dict[str, Any]]] = getattr(
        settings, "FAKEAWS_IAM_POLICIES", {}) or {}
    return list(configured.get(account, []))


def request_context(*, caller: Caller, service: str, tags: dict[str, str],
                    owner_arn: str = "") -> dict[str, str]:
    """The condition keys AWS puts in the request context of a call on a tagged resource.

    Service Catalog's provisioned-product actions evaluate no ``aws:ResourceTag`` (the Service
    Authorization Reference lists only servicecatalog:accountLevel/roleLevel/userLevel for
    them): their context says ``self`` for the levels that hold, the owner being ``owner_arn``
    (the session that provisioned it, or the OWNER UpdateProvisionedProductProperties set)."""
    context = {"aws:userid": caller.user_id, "aws:PrincipalAccount": caller.account,
               "aws:PrincipalArn": caller.role_arn or caller.arn}
    if caller.source_identity:
        context["aws:SourceIdentity"] = caller.source_identity
    context.update({f"aws:PrincipalTag/{k}": v for k, v in caller.tags.items()})
    if service == "servicecatalog":
        context["servicecatalog:accountLevel"] = "self"
        owner_role = owner_arn.rsplit("/", 1)[0] if ":assumed-role/" in owner_arn else ""
        if owner_arn and caller.arn.rsplit("/", 1)[0] == owner_role:
            context["servicecatalog:roleLevel"] = "self"
        if owner_arn and caller.arn == owner_arn:
            context["servicecatalog:userLevel"] = "self"
        return context
    context.update({f"aws:ResourceTag/{k}": v for k, v in tags.items()})
    context.update({f"{service}:ResourceTag/{k}": v for k, v in tags.items()})
    return context


def principal_tag(caller: Caller, key: str) -> str | None:
    """``${aws:PrincipalTag/<key>}`` of the caller: its session tag, the key matched in any case."""
    wanted = key.lower()
    return next((v for k, v in caller.tags.items() if k.lower() == wanted), None)


def owner_check(*, caller: Caller, action: str, resource_arn: str,
                tags: dict[str, str] | None = None, code: str = "AccessDeniedException",
                owner_arn: str = "") -> None:
    """Refuse ``action`` on the resource unless the caller is its owner (when enforced)."""
    policies = account_policies(caller.account)
    rule = owner_rule(caller.account)
    if rule is None and not policies:
        return
    if caller.role_arn and caller.role_arn == admin_role_arn(caller.account):
        return  # the admin role's policy grants the action without the owner condition
    if tags is None:
        tags = dict(Tag.objects.filter(resource_arn=resource_arn).values_list("key", "value"))
    if policies:
        context = request_context(caller=caller, service=action.partition(":")[0], tags=tags,
                                  owner_arn=owner_arn)
        verdict = decision(call=Call(action=action, resource=resource_arn, context=context),
                           policies=policies)
        if verdict != "allowed":
            reason = ("with an explicit deny in an identity-based policy"
                      if verdict == "explicit-deny" else
                      f"because no identity-based policy allows the {action} action")
            raise AwsError(code, f"User: {caller.arn} is not authorized to perform: {action} "
                           f"on resource: {resource_arn} {reason}")
        return
    assert rule is not None
    key, mode = rule
    resource_owner = tags.get(key)
    principal = principal_tag(caller, key) if mode == "principal-tag" else caller.user_id
    if resource_owner is None or principal is None or resource_owner != principal:
        raise AwsError(code, f"User: {caller.arn} is not authorized to perform: {action} on "
                       f"resource: {resource_arn} because no identity-based policy allows the "
                       f"{action} action")
