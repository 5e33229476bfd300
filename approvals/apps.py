from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"

    def ready(self) -> None:
        from portal.audit_actions import audit_actions_register

        # The audit trail's action filter lists these (portal/audit_actions.py): request.<status>
        # and approval.task_<status> come from services/workflow.py, <model>.created/changed/
        # deleted from the audited admin pages.
        audit_actions_register(
            "approval.decided", "approval.task_approved", "approval.task_created",
            "approval.task_escalated", "approval.task_expired", "approval.task_rejected",
            "approval.task_reminded", "approval.task_skipped",
            "approvalpolicy.changed", "approvalpolicy.created", "approvalpolicy.deleted",
            "approvalrule.changed", "approvalrule.created", "approvalrule.deleted",
            "approvalstep.changed", "approvalstep.created", "approvalstep.deleted",
            "delegation.created", "delegation.ended",
            "request.approved", "request.cancelled", "request.created", "request.expired",
            "request.handed_off", "request.reapproval", "request.rejected",
            "request.submit_repeated",
        )
        # ``<reference:…>`` in the page and API routes (REQ-1042), registered once for both.
        from django.urls import register_converter

        from approvals.models import ReferenceConverter

        register_converter(ReferenceConverter, "reference")
