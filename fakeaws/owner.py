"""IAM-lite: the whitepaper's owner condition, enforced per account when configured.

``FAKEAWS_OWNER_CONDITION`` maps an account to the owner tag key and what it is compared with:
``principal-tag`` (``sagemaker:ResourceTag/<key> == ${aws:PrincipalTag/<key>}``) or ``userid``
(``== ${aws:userid}``, which is ``<RoleId>:<RoleSessionName>`` for an assumed role).

Facts (IAM policy evaluation docs): a condition on a key the request lacks (an untagged
resource, an untagged session) evaluates false, so the Allow does not apply and the implicit
deny wins; the error then reads "User: <arn> is not authorized to perform: <action> on resource:
<arn> because no identity-based policy allows the <action> action".
"""

from __future__ import annotations

from django.conf import settings

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


def owner_check(*, caller: Caller, action: str, resource_arn: str,
                tags: dict[str, str] | None = None, code: str = "AccessDeniedException") -> None:
    """Refuse ``action`` on the resource unless the caller is its owner (when enforced)."""
    rule = owner_rule(caller.account)
    if rule is None:
        return
    key, mode = rule
    if tags is None:
        tags = dict(Tag.objects.filter(resource_arn=resource_arn).values_list("key", "value"))
    resource_owner = tags.get(key)
    principal = caller.tags.get(key) if mode == "principal-tag" else caller.user_id
    if resource_owner is None or principal is None or resource_owner != principal:
        raise AwsError(code, f"User: {caller.arn} is not authorized to perform: {action} on "
                       f"resource: {resource_arn} because no identity-based policy allows the "
                       f"{action} action")
