import datetime

import pytest

from snippets.models import Issue
from snippets.services import allocate_issue_number
from tests.snippets.factories import IssueFactory

pytestmark = pytest.mark.django_db


def test_issue_numbers_are_sequential_per_year():
    first = IssueFactory(found_on=datetime.date(2026, 3, 1))
    second = IssueFactory(found_on=datetime.date(2026, 3, 2))
    other_year = IssueFactory(found_on=datetime.date(2025, 12, 30))
    assert first.number == "ZG-2026-0001"
    assert second.number == "ZG-2026-0002"
    assert other_year.number == "ZG-2025-0001"


def test_a_deleted_issues_number_is_never_given_again():
    issue = IssueFactory(found_on=datetime.date(2026, 3, 1))
    assert issue.number == "ZG-2026-0001"
    issue.delete()
    assert IssueFactory(found_on=datetime.date(2026, 3, 1)).number == "ZG-2026-0002"


def test_an_allocated_number_survives_a_rolled_back_issue():
    assert allocate_issue_number(2027) == "ZG-2027-0001"
    assert allocate_issue_number(2027) == "ZG-2027-0002"
    assert not Issue.objects.exists()


def test_a_new_issue_starts_in_the_reported_stage():
    assert IssueFactory().stage == "reported"
