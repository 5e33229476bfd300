"""The approvals inbox's rows written in one pass are the rows its template's loop wrote
(issue 16): the loop, as it was, is the reference."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.template import engines
from django.test import override_settings
from django.utils.safestring import mark_safe

from approvals.change_preview import ChangePreview, ResourceChangeRow
from approvals.inbox_rows import inbox_rows_html
from approvals.models import Request

# templates/approvals/_inbox_live.html's row loop before issue 16, verbatim.
TEMPLATE_ROWS = engines["django"].from_string(
    '    {% for row in rows %}\n'
    '      <tr data-task="{{ row.pk }}" data-request="{{ row.request_pk }}" data-refe'
    'rence="{{ row.reference }}">\n'
    '        <td><input type="checkbox" name="tasks" value="{{ row.pk }}" aria-label='
    '"{{ row.select_label }}" id="{% if forloop.first and bulk_form.errors %}id_tasks'
    '{% else %}select-task-{{ row.pk }}{% endif %}" hx-preserve="true"></td>\n'
    '        <td><a href="{{ row.url }}" class="reference">{{ row.reference }}</a></t'
    'd>\n'
    '        <td>{{ row.submitted }}</td>\n'
    '        <td>{{ row.requester }}</td>\n'
    '        <td>{{ row.project }}</td>\n'
    '        <td>{% if row.name %}{{ row.name }} · {% endif %}{{ row.product }} <span'
    ' class="muted small">{{ row.version }}</span></td>\n'
    '        <td>{{ row.action }}{% if row.environment_ref %} <code class="small">{{ '
    'row.environment_ref|truncatechars:9 }}</code>{% endif %}{% if row.preview %}<br>'
    '<span class="small change-summary" data-change-summary>{% for part in row.previe'
    'w.summary %}{% if part.destructive %}<span class="change-summary-destructive">{{'
    ' part.text }}</span>{% else %}{{ part.text }}{% endif %}{% if not forloop.last %'
    '} · {% endif %}{% endfor %}</span>{% endif %}</td>\n'
    '        <td>{% if row.cost is not None %}${{ row.cost }}/month{% else %}<span cl'
    'ass="muted">unknown</span>{% endif %}</td>\n'
    '        <td>{{ row.step }} <span class="muted small">{{ row.approvals }}/{{ row.'
    'required }}</span>{% if row.escalated %} <span class="badge">escalated</span>{% '
    'endif %}{% if row.on_behalf_of %} <span class="badge" data-on-behalf-of="{{ row.'
    'on_behalf_of }}">on behalf of {{ row.on_behalf_label }}</span>{% endif %}</td>\n'
    '      </tr>\n'
    '    {% empty %}<tr><td colspan="9" class="muted">Nothing waits for you.</td></tr'
    '>{% endfor %}')
EMPTY = '    <tr><td colspan="9" class="muted">Nothing waits for you.</td></tr>'


def _row(n: int, **values: Any) -> dict[str, Any]:
    row = {"pk": n, "request_pk": 1000 + n, "reference": f"REQ-{n:05d}",
           "url": f"/requests/{1000 + n}/", "submitted": "2026-03-01 23:59",
           "requester": "Ada <Lovelace> & \"co\"", "project": "Proj's", "name": "",
           "product": "Notebook <b>", "version": "v1 & 2", "select_label": mark_safe("Select <x>"),
           "action": "Create", "environment_ref": "", "preview": None,
           "cost": Decimal("123.45"), "step": "Manager", "approvals": 0, "required": 2,
           "escalated": False, "on_behalf_of": "", "on_behalf_label": ""}
    return {**row, **values}


PREVIEW = ChangePreview("ready", rows=(
    ResourceChangeRow("MODIFY", "Nb", "AWS::SageMaker::NotebookInstance", replacement="TRUE"),
    ResourceChangeRow("MODIFY", "Role", "AWS::IAM::Role", replacement="FALSE"),
    ResourceChangeRow("ADD", "Bucket", "AWS::S3::Bucket")))
ROWS = [
    _row(1),
    _row(22, name="My <nb>", environment_ref="3f2a9c1e-7b4d-4e0a-9f1c-2d3e4f5a6b7c",
         action="Update", preview=PREVIEW, cost=None, escalated=True, approvals=1,
         on_behalf_of="bob<", on_behalf_label="Bob \"B\" Smith"),
    _row(333, environment_ref="short", preview=ChangePreview("pending"), cost=Decimal("0"),
         required=12345, on_behalf_of="carol", on_behalf_label="carol"),
    _row(4444, preview=ChangePreview("failed"), cost=Decimal("1E+2")),
    _row(55555, preview=ChangePreview("ready"), step="Security & <compliance>"),
]


@pytest.mark.parametrize(("errors", "grouped"), [(False, False), (True, False), (False, True)])
def test_the_rows_are_the_markup_the_template_loop_wrote(errors: bool, grouped: bool) -> None:
    context = {"rows": ROWS, "bulk_form": {"errors": ["x"]} if errors else None}
    with override_settings(USE_THOUSAND_SEPARATOR=grouped):
        expected = TEMPLATE_ROWS.render(context)
        assert "    " + str(inbox_rows_html(ROWS, first_is_tasks=errors)) == expected
    assert ("12,345" in expected) is grouped
    assert ('id="id_tasks"' in expected) is errors
    assert "Ada &lt;Lovelace&gt; &amp; &quot;co&quot;" in expected
    assert 'class="change-summary-destructive">1 replaced (data loss)</span>' in expected


def test_no_rows_write_nothing_and_the_template_writes_its_empty_row() -> None:
    assert str(inbox_rows_html([])) == ""
    assert TEMPLATE_ROWS.render({"rows": []}) == EMPTY


@pytest.mark.parametrize("action", [*Request.Action.values, "not-an-action"])
def test_a_rows_action_is_labelled_as_the_model_labels_it(action: str) -> None:
    from django.utils import timezone

    from approvals.inbox_rows import inbox_rows
    from approvals.models import ApprovalTask
    from catalog.models import Product, ProductVersion
    from portal.models import Project, User

    request = Request(pk=uuid.uuid4(), number=1042, action=action, name="",
                      requester=User(username="rex"), project=Project(name="Fraud"),
                      product=Product(name="Notebook"), version=ProductVersion(name="v1"),
                      created_at=timezone.now())
    [row] = inbox_rows([ApprovalTask(pk=7, request=request, name="Manager",
                                     required_approvals=1)])
    assert row["action"] == request.get_action_display()
