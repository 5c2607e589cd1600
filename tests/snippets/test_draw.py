import datetime

import pytest

from django.urls import reverse
from django.utils import timezone

from snippets import services
from snippets.choices import InstitutionKind, RoundMode
from snippets.models import InspectionRound, InspectorProfile, Visit
from tests.snippets.factories import InspectionRoundFactory, InstitutionFactory
from workflows import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(make_user):
    townships = ["城关镇", "河西乡", "东山镇", "南湖街道"]
    institutions = [
        InstitutionFactory(township=townships[i % 4], kind=InstitutionKind.TOWNSHIP_ELDER_CARE)
        for i in range(12)
    ]
    InstitutionFactory(kind=InstitutionKind.FUNERAL_HOME, township="城关镇")
    inspectors = []
    for i, township in enumerate(townships):
        user = make_user(roles.INSPECTOR, username=f"inspector{i}")
        InspectorProfile.objects.create(user=user, township=township)
        inspectors.append(user)
    # A round still ahead: its seed stays secret until the round has ended, whatever today is.
    starts_on = timezone.localdate() + datetime.timedelta(days=1)
    inspection_round = InspectionRoundFactory(
        starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(days=7),
        mode=RoundMode.UNANNOUNCED,
        draw_institution_count=5,
        draw_kinds=[InstitutionKind.TOWNSHIP_ELDER_CARE],
        draw_inspectors_per_visit=2,
    )
    inspection_round.team.set([user.pk for user in inspectors])
    return inspection_round, institutions, inspectors


def test_the_draw_creates_visits_and_never_sends_an_inspector_to_their_own_township(setting):
    inspection_round, _institutions, _inspectors = setting
    services.draw_round(inspection_round, actor=None, seed="fixed-seed")

    visits = list(inspection_round.visits.all())
    assert len(visits) == 5
    for visit in visits:
        assert visit.institution.kind == InstitutionKind.TOWNSHIP_ELDER_CARE
        inspectors = list(visit.inspectors.all())
        assert len(inspectors) == 2
        assert all(user.inspector_profile.township != visit.institution.township for user in inspectors)
    stored = InspectionRound.objects.get(pk=inspection_round.pk)
    assert set(stored.institutions.all()) == {visit.institution for visit in visits}
    assert all(Visit.objects.get(pk=visit.pk).inspectors.count() == 2 for visit in visits)


def test_the_draw_is_sealed_with_a_commitment_that_verifies_after_the_round_ends(setting):
    inspection_round, _institutions, _inspectors = setting
    services.draw_round(inspection_round, actor=None, seed="fixed-seed")
    inspection_round.refresh_from_db()

    assert inspection_round.is_sealed
    assert len(inspection_round.draw_commitment) == 64
    assert inspection_round.draw_commitment == services.commitment_of(
        "fixed-seed", inspection_round.draw_result
    )
    assert services.verify_published_draw(
        "fixed-seed", inspection_round.draw_result, inspection_round.draw_commitment
    )


def test_the_same_seed_gives_the_same_draw_and_a_rigged_result_fails_verification(setting):
    inspection_round, _institutions, _inspectors = setting
    services.draw_round(inspection_round, actor=None, seed="abc")
    inspection_round.refresh_from_db()
    result = inspection_round.draw_result
    rerun = services.compute_draw(
        "abc",
        result["candidates"]["institutions"],
        result["candidates"]["inspectors"],
        result["institution_count"],
        result["inspectors_per_visit"],
    )
    assert rerun["visits"] == result["visits"]

    rigged = dict(result, visits=[[result["visits"][0][0], result["visits"][1][1]], *result["visits"][1:]])
    assert not services.verify_published_draw("abc", rigged, inspection_round.draw_commitment)
    # Recomputing the commitment over the rigged result does not help: the re-run disagrees.
    assert not services.verify_published_draw("abc", rigged, services.commitment_of("abc", rigged))


def test_a_sealed_round_cannot_be_drawn_again(setting):
    inspection_round, _institutions, _inspectors = setting
    services.draw_round(inspection_round, actor=None, seed="one")
    with pytest.raises(services.DrawError, match="不能重新抽取"):
        services.draw_round(inspection_round, actor=None, seed="two")
    inspection_round.refresh_from_db()
    assert inspection_round.draw_seed == "one"


def test_the_seed_is_revealed_only_after_the_round_ends(setting):
    inspection_round, _institutions, _inspectors = setting
    inspection_round.ends_on = inspection_round.starts_on.replace(year=2099)
    inspection_round.save()
    services.draw_round(inspection_round, actor=None, seed="secret")
    inspection_round.refresh_from_db()
    assert inspection_round.revealed_seed == ""
    with pytest.raises(services.DrawError):
        services.verify_draw(inspection_round)

    inspection_round.starts_on = inspection_round.starts_on.replace(year=2020)
    inspection_round.ends_on = inspection_round.starts_on
    inspection_round.save()
    assert inspection_round.revealed_seed == "secret"
    assert services.verify_draw(inspection_round)


def test_the_draw_refuses_when_only_same_township_inspectors_remain(make_user):
    InstitutionFactory(township="城关镇")
    user = make_user(roles.INSPECTOR, username="local")
    InspectorProfile.objects.create(user=user, township="城关镇")
    inspection_round = InspectionRoundFactory(draw_institution_count=1, draw_inspectors_per_visit=1)
    inspection_round.team.set([user.pk])
    with pytest.raises(services.DrawError, match="不得检查本乡镇机构"):
        services.draw_round(inspection_round, actor=None, seed="x")
    inspection_round.refresh_from_db()
    assert not inspection_round.is_sealed
    assert not inspection_round.visits.exists()


def test_an_inspector_draws_a_round_from_the_admin_and_sees_the_commitment(client, setting, users):
    inspection_round, _institutions, _inspectors = setting
    # A round still under way: its seed is not shown (the factory's dates lie in the past by now).
    inspection_round.ends_on = inspection_round.ends_on.replace(year=2099)
    inspection_round.save()
    url = reverse("snippets_round_draw", args=[inspection_round.pk])
    client.force_login(users[roles.INSPECTOR])
    assert '<button type="submit" class="button">抽取并封存' in client.get(url).content.decode()

    response = client.post(url)
    assert response.status_code == 302
    inspection_round.refresh_from_db()
    assert inspection_round.is_sealed
    page = client.get(url).content.decode()
    assert inspection_round.draw_commitment in page
    assert inspection_round.draw_seed not in page
    assert '<button type="submit" class="button">抽取并封存' not in page


@pytest.mark.parametrize("role", [roles.LEADERSHIP, roles.RESPONSIBLE_UNIT, roles.COMMUNICATIONS])
def test_other_roles_cannot_draw_a_round(client, setting, users, role):
    inspection_round, _institutions, _inspectors = setting
    client.force_login(users[role])
    response = client.post(reverse("snippets_round_draw", args=[inspection_round.pk]))
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert "/login/" in response["Location"] or response["Location"] == "/admin/"
    inspection_round.refresh_from_db()
    assert not inspection_round.is_sealed


def test_a_sealed_rounds_draw_parameters_cannot_be_changed_in_the_admin(client, setting, users):
    inspection_round, _institutions, inspectors = setting
    services.draw_round(inspection_round, actor=None, seed="s")
    client.force_login(users[roles.INSPECTOR])
    url = reverse("wagtailsnippets_snippets_inspectionround:edit", args=[inspection_round.pk])
    response = client.post(
        url,
        {
            "name": "改名的轮次",
            "mode": "open",
            "starts_on": "2026-11-23",
            "ends_on": "2026-11-30",
            "team": [user.pk for user in inspectors],
            "institutions": [],
            "draw_institution_count": 1,
            "draw_kinds": ["funeral_home"],
            "draw_inspectors_per_visit": 1,
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    inspection_round.refresh_from_db()
    assert inspection_round.name == "改名的轮次"
    assert inspection_round.mode == RoundMode.UNANNOUNCED
    assert inspection_round.draw_institution_count == 5
    assert inspection_round.draw_kinds == [InstitutionKind.TOWNSHIP_ELDER_CARE]
    assert inspection_round.institutions.count() == 5


def test_the_public_draw_record_shows_the_commitment_then_the_seed_after_the_round(client, setting):
    inspection_round, _institutions, _inspectors = setting
    inspection_round.ends_on = inspection_round.starts_on.replace(year=2099)
    inspection_round.save()
    url = reverse("snippets:draw_record", args=[inspection_round.pk])
    assert client.get(url).status_code == 404  # not drawn yet

    services.draw_round(inspection_round, actor=None, seed="public-seed")
    inspection_round.refresh_from_db()
    sealed = client.get(url).json()
    assert sealed["commitment"] == inspection_round.draw_commitment
    # Nothing that dates or names the coming round (issue #18): only the commitment and its rule.
    assert set(sealed) == {"round", "commitment", "algorithm"}
    assert "2099" not in client.get(url).content.decode()

    inspection_round.starts_on = inspection_round.starts_on.replace(year=2020)
    inspection_round.ends_on = inspection_round.starts_on
    inspection_round.save()
    revealed = client.get(url).json()
    assert revealed["seed"] == "public-seed"
    assert revealed["mode"] == RoundMode.UNANNOUNCED
    assert revealed["ends_on"] == inspection_round.ends_on.isoformat()
    assert revealed["sealed_at"] and revealed["name"] == inspection_round.name
    assert services.verify_published_draw(revealed["seed"], revealed["result"], revealed["commitment"])
