"""The admin listings' cells rendered in Python (`snippets.views.PlainCellsMixin`) give the same
markup as Wagtail's cell templates, buttons and escaping included (issue #8, measurement 9)."""

import re

import pytest

from django.urls import reverse

from wagtail.admin.ui.tables import BaseColumn

from snippets import views
from tests.snippets.factories import InstitutionFactory, IssueFactory
from workflows import roles

pytestmark = pytest.mark.django_db

# Titles that could confuse the reuse of one row's buttons for the next: markup, quotes, a title
# equal to a button label, one that looks like a URL segment, an empty one.
TITLES = ["甲<b>问题</b>", "乙'\"问题", "编辑", "/1/", "", "丙问题"]


def _rows(client):
    html = client.get(reverse("wagtailsnippets_snippets_issue:list")).content.decode()
    start = html.index("<tbody", html.index('<table class="listing'))
    body = html[start : html.index("</tbody>", start)]
    body = re.sub(r"\s+", " ", body)
    body = re.sub(r"\s*([<>])\s*", r"\1", body)
    return body.replace("<td >", "<td>")


@pytest.mark.parametrize("role_key", [roles.INSPECTOR, roles.RESPONSIBLE_UNIT, roles.ADMINISTRATOR])
def test_plain_cells_render_what_wagtails_templates_render(client, users, monkeypatch, role_key):
    institution = InstitutionFactory(name="甲&乙敬老院")
    institution.responsible_users.add(users[roles.RESPONSIBLE_UNIT])
    for title in TITLES:
        IssueFactory(title=title, institution=institution)
    client.force_login(users[role_key])
    ours = _rows(client)
    for column_class in (views.PlainColumn, views.PlainTitleColumn, views.PlainBulkActionsCheckboxColumn):
        monkeypatch.setattr(column_class, "render_cell_html", BaseColumn.render_cell_html)
    wagtails = _rows(client)
    assert ours.count("<tr>") == len(TITLES)
    assert "&lt;b&gt;" in ours and "<b>" not in ours
    assert ours == wagtails
