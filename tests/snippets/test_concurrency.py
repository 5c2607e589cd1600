"""Two writers at once: numbers stay unique and a visit raises its issues once."""

import threading

import pytest

from django.db import connection

from snippets import services
from snippets.choices import Answer
from snippets.models import Issue
from tests.snippets.factories import VisitFactory
from workflows import roles

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(target, count):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_concurrent_number_allocation_never_gives_a_number_twice():
    def allocate_many():
        return [services.allocate_issue_number(2031) for _ in range(10)]

    numbers = [number for batch in run_in_threads(allocate_many, 4) for number in batch]
    assert len(numbers) == 40
    assert len(set(numbers)) == 40
    assert max(numbers) == "ZG-2031-0040"


def test_two_inspectors_completing_the_same_visit_raise_its_issues_once(users):
    visit = VisitFactory()
    for answer in services.ensure_answers(visit):
        answer.answer = Answer.FAIL if answer.item.category.code == "disinfection" else Answer.PASS
        answer.save()

    def complete():
        from snippets.models import Visit

        return len(services.complete_visit(Visit.objects.get(pk=visit.pk), users[roles.INSPECTOR]))

    raised = run_in_threads(complete, 2)
    assert sorted(raised) == [0, 1]
    assert Issue.objects.filter(visit=visit).count() == 1
