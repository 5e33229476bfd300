from typing import Any

from django.apps import AppConfig

AUDIT_ACTIONS = (
    "person.deactivated", "person.reactivated", "person.left_project",
    "approval.task_reassigned",
    "environment.handover_planned", "environment.handed_over", "environment.handover_failed",
    "environment.handover_tags",
    "scim.user_created", "scim.user_replaced", "scim.user_patched", "scim.user_deleted",
    "scim.group_created", "scim.group_renamed", "scim.group_members_changed",
    "scim.group_deleted", "scim.token_created", "scim.token_revoked",
)


def movers_after_saml_sign_in(sender: Any, request: Any, user: Any, sociallogin: Any = None,
                              **kwargs: Any) -> None:
    """After portal's own receiver synced the groups from the assertion: a person no longer in
    a project's access group leaves it (a mover)."""
    if sociallogin is None or sociallogin.account.provider != "saml":
        return
    from identity.offboarding import memberships_follow_groups

    memberships_follow_groups(user=user, source="saml")


class IdentityConfig(AppConfig):
    name = "identity"

    def ready(self) -> None:
        # Above provisioning in the chain: portal (the SAML sign-in) names nothing here; the
        # sign-in signal reaches the movers check through this receiver, connected after
        # portal's (apps load in INSTALLED_APPS order), so it sees the groups just synced.
        from allauth.account.signals import user_logged_in

        from portal.audit_actions import audit_actions_register

        audit_actions_register(*AUDIT_ACTIONS)
        user_logged_in.connect(movers_after_saml_sign_in,
                               dispatch_uid="identity.movers_after_saml_sign_in")
