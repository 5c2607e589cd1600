import datetime

import factory

from snippets.choices import Area, InstitutionKind, Severity
from snippets.models import Institution, Issue, IssueCategory


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"测试敬老院{n}")
    kind = InstitutionKind.TOWNSHIP_ELDER_CARE
    township = "城关镇"
    area = Area.URBAN


class IssueCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IssueCategory
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test-category-{n}")
    name = factory.Sequence(lambda n: f"测试类别{n}")
    default_severity = Severity.MEDIUM
    default_deadline_days = 7


class IssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Issue

    title = factory.Sequence(lambda n: f"问题{n}")
    category = factory.SubFactory(IssueCategoryFactory)
    institution = factory.SubFactory(InstitutionFactory)
    severity = Severity.MEDIUM
    found_on = datetime.date(2026, 11, 20)
    deadline = datetime.date(2026, 11, 27)
