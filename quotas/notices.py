"""Budget threshold notices: the project's leads are told at 80 % and 100 % of the monthly
budget, once per month each (a ``BudgetNotice`` row per project, month and threshold; its unique
constraint makes a second sweep, or two racing ones, send nothing more).

The figure is the month-to-date spend (what has been metered, not the forecast). A sweep that
sends nothing runs two queries plus four per batch of environments
(``quotas.budgets.month_to_date_by_project``), whatever the number of projects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.models import Membership, Project, User
from portal.notifications import notify
from portal.services import audit_record
from provisioning.metering import month_start
from quotas.budgets import SPEND_BATCH, month_to_date_by_project
from quotas.models import BudgetNotice

THRESHOLDS = (80, 100)
NOTICE_ACTION = "budget.threshold_notified"


@dataclass
class NoticeReport:
    sent: list[tuple[str, int]] = field(default_factory=list)  # (project slug, percent)


def budget_notices_sweep(now: datetime | None = None, *, batch: int = SPEND_BATCH
                         ) -> NoticeReport:
    """Send every threshold notice due this month and not sent yet (spend metered ``batch``
    environments at a time)."""
    now = now or timezone.now()
    month = month_start(now).date()
    projects = list(Project.objects.filter(active=True, monthly_budget__gt=0))
    report = NoticeReport()
    if not projects:
        return report
    spend = month_to_date_by_project([p.pk for p in projects], now, batch=batch)
    sent = set(BudgetNotice.objects.filter(month=month, project__in=projects)
               .values_list("project_id", "percent"))
    due = [(p, pct) for p in projects for pct in THRESHOLDS
           if (p.pk, pct) not in sent and spend[p.pk] * 100 >= p.monthly_budget * pct]
    if not due:
        return report
    leads: dict[int, list[User]] = {}
    for membership in (Membership.objects.filter(project__in={p.pk for p, _ in due},
                                                 role=Membership.ProjectRole.LEAD)
                       .select_related("user")):
        leads.setdefault(membership.project_id, []).append(membership.user)
    for project, percent in due:
        if _send(project=project, percent=percent, month=month, spend=spend[project.pk],
                 leads=leads.get(project.pk, [])):
            report.sent.append((project.slug, percent))
    return report


def _send(*, project: Project, percent: int, month: date, spend: Decimal,
          leads: list[User]) -> bool:
    try:
        with transaction.atomic():
            notice = BudgetNotice.objects.create(project=project, month=month, percent=percent,
                                                 spend=spend, budget=project.monthly_budget)
            text = (f"Project {project.slug} has spent ${spend:.2f} this month: {percent} % or "
                    f"more of its ${project.monthly_budget:.2f} budget.")
            notify(recipients=leads, kind="budget", text=text,
                   link=reverse("projects:project_detail", args=[project.slug]),
                   email_subject=f"Budget of {project.slug}: {percent} % reached")
            audit_record(action=NOTICE_ACTION, obj=notice, project=project,
                         actor_username="system",
                         data={"percent": percent, "spend": str(spend),
                               "budget": str(project.monthly_budget),
                               "leads": sorted(u.username for u in leads)})
    except IntegrityError:
        return False  # another sweep sent it
    return True
