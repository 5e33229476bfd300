"""ListPortfolios and ListAcceptedPortfolioShares page up to 100 items, as botocore's model says
(PageSizeMax100); the product and launch-path lists stay at 20."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def test_portfolio_lists_take_a_page_of_100_and_product_lists_refuse_it(
        project_client: Any) -> None:
    sc = project_client("servicecatalog")
    assert sc.list_portfolios(PageSize=100)["PortfolioDetails"]
    assert sc.list_accepted_portfolio_shares(PortfolioShareType="IMPORTED", PageSize=100)[
        "PortfolioDetails"]
    portfolio = sc.list_portfolios()["PortfolioDetails"][0]["Id"]
    with pytest.raises(ClientError) as refused:
        sc.search_products_as_admin(PortfolioId=portfolio, PageSize=21)
    assert refused.value.response["Error"]["Code"] == "InvalidParametersException"
