"""The project's current spend beside a request's estimate, for the approver's page.

Metering (the month-to-date cost of the project's environments) belongs to provisioning, above
approvals in the dependency chain: provisioning registers its function here from its
``AppConfig.ready()``. Without one registered the page shows the estimate against the budget
only, as before. A budget app (quotas) registers the month's forecast the same way
(``project_forecast_register``): spend so far plus what runs until the month ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from approvals.models import Request
from portal.models import Project
from portal.registry import Registry

ProjectSpend = Callable[[Project], Decimal]
_providers: Registry[ProjectSpend] = Registry("project spend providers")
_forecasts: Registry[ProjectSpend] = Registry("project forecast providers")


def project_spend_register(provider: ProjectSpend) -> None:
    """Register how a project's month-to-date spend (USD) is computed."""
    _providers.register(provider)


def project_forecast_register(provider: ProjectSpend) -> None:
    """Register how a project's forecast for the month (USD) is computed."""
    _forecasts.register(provider)


@dataclass(frozen=True)
class ProjectSpendPicture:
    """This month's spend so far, the budget, and where the request would take the month."""

    month_to_date: Decimal
    budget: Decimal
    request_monthly: Decimal | None
    forecast: Decimal | None = None

    @property
    def forecast_percent(self) -> Decimal | None:
        return None if self.forecast is None else self._percent(self.forecast)

    @property
    def used_percent(self) -> Decimal | None:
        return self._percent(self.month_to_date)

    @property
    def with_request(self) -> Decimal | None:
        if self.request_monthly is None:
            return None
        return self.month_to_date + self.request_monthly

    @property
    def with_request_percent(self) -> Decimal | None:
        total = self.with_request
        return None if total is None else self._percent(total)

    def _percent(self, amount: Decimal) -> Decimal | None:
        if not self.budget:
            return None
        return (amount * 100 / self.budget).quantize(Decimal("0.1"))


def project_spend_picture(*, request: Request) -> ProjectSpendPicture | None:
    """The request's project spend so far this month, or None when nobody meters it."""
    if not _providers:
        return None
    # The first registered provider of each figure.
    spent, forecast = next(iter(_providers)), next(iter(_forecasts), None)
    return ProjectSpendPicture(month_to_date=spent(request.project),
                               budget=request.project.monthly_budget,
                               request_monthly=request.estimated_monthly_cost,
                               forecast=forecast(request.project) if forecast else None)
