"""Every admin page of the inspection records renders for the roles that may use it."""

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wagtail.images import get_image_model

from tests.snippets.factories import InspectionRoundFactory, IssueFactory, VisitFactory, make_png_bomb
from workflows import roles

pytestmark = pytest.mark.django_db

MODELS = [
    "issue",
    "visit",
    "inspectionround",
    "institution",
    "issuecategory",
    "checklisttemplate",
    "inspectorprofile",
]

# role -> models whose listing it may open
LISTINGS = {
    roles.INSPECTOR: {
        "issue",
        "visit",
        "inspectionround",
        "institution",
        "issuecategory",
        "checklisttemplate",
        "inspectorprofile",
    },
    roles.LEADERSHIP: {
        "issue",
        "visit",
        "inspectionround",
        "institution",
        "issuecategory",
        "checklisttemplate",
        "inspectorprofile",
    },
    roles.ADMINISTRATOR: set(MODELS),
    roles.RESPONSIBLE_UNIT: {"issue", "visit", "institution"},
    roles.COMMUNICATIONS: set(),
}


@pytest.fixture
def records():
    visit = VisitFactory(inspection_round=InspectionRoundFactory())
    IssueFactory(institution=visit.institution, visit=visit)
    return visit


@pytest.mark.parametrize("role", list(LISTINGS))
def test_each_role_opens_exactly_the_listings_it_may(client, users, records, role):
    client.force_login(users[role])
    for model in MODELS:
        response = client.get(reverse(f"wagtailsnippets_snippets_{model}:list"))
        if model in LISTINGS[role]:
            assert response.status_code == 200, (role, model)
        else:
            assert response.status_code in (302, 403), (role, model)


@pytest.mark.parametrize(
    "model,role",
    [
        ("issue", roles.INSPECTOR),
        ("visit", roles.INSPECTOR),
        ("inspectionround", roles.INSPECTOR),
        ("institution", roles.ADMINISTRATOR),
        ("issuecategory", roles.ADMINISTRATOR),
        ("checklisttemplate", roles.ADMINISTRATOR),
    ],
)
def test_the_add_forms_render_for_the_role_that_adds(client, users, model, role):
    client.force_login(users[role])
    assert client.get(reverse(f"wagtailsnippets_snippets_{model}:add")).status_code == 200


def test_the_edit_forms_render_for_an_inspector(client, users, records):
    client.force_login(users[roles.INSPECTOR])
    for model, pk in [("visit", records.pk), ("inspectionround", records.inspection_round.pk)]:
        assert client.get(reverse(f"wagtailsnippets_snippets_{model}:edit", args=[pk])).status_code == 200


def test_an_administrator_edits_a_checklist_template_with_its_items(client, users):
    from snippets.models import ChecklistTemplate

    template = ChecklistTemplate.objects.get(name="养老机构疫情防控检查表")
    client.force_login(users[roles.ADMINISTRATOR])
    response = client.get(reverse("wagtailsnippets_snippets_checklisttemplate:edit", args=[template.pk]))
    assert response.status_code == 200
    assert "暂停家属探视，有告知公示" in response.content.decode()


def test_the_multiple_image_upload_refuses_a_bomb(client, users):
    client.force_login(users[roles.COMMUNICATIONS])
    response = client.post(
        reverse("wagtailimages:add_multiple"),
        {"files[]": SimpleUploadedFile("bomb.png", make_png_bomb(), content_type="image/png")},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    payload = response.json()
    assert payload["success"] is False
    assert "图片像素过多" in payload["error_message"]
    assert not get_image_model().objects.exists()
