"""Choice lists of the inspection records. Stages of an issue live in `workflows.choices.Stage`."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InstitutionKind(models.TextChoices):
    TOWNSHIP_ELDER_CARE = "township_elder_care", _("乡镇敬老院")
    PRIVATE_ELDER_CARE = "private_elder_care", _("民办养老机构")
    FUNERAL_HOME = "funeral_home", _("殡仪馆")
    CIVIL_AFFAIRS_OFFICE = "civil_affairs_office", _("乡镇民政所")
    WELFARE_HOME = "welfare_home", _("福利院")
    OTHER = "other", _("其他")


ELDER_CARE_KINDS = (
    InstitutionKind.TOWNSHIP_ELDER_CARE,
    InstitutionKind.PRIVATE_ELDER_CARE,
    InstitutionKind.WELFARE_HOME,
)


class Area(models.TextChoices):
    URBAN = "urban", _("城区")
    RURAL = "rural", _("农村")


class Severity(models.TextChoices):
    LOW = "low", _("一般")
    MEDIUM = "medium", _("较重")
    HIGH = "high", _("严重")


class RoundMode(models.TextChoices):
    OPEN = "open", _("明查")
    UNANNOUNCED = "unannounced", _("暗访")


class VisitState(models.TextChoices):
    PLANNED = "planned", _("计划")
    DONE = "done", _("已完成")
    MISSED = "missed", _("未检查")


class Answer(models.TextChoices):
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")
    NOT_APPLICABLE = "na", _("不适用")


class PhotoKind(models.TextChoices):
    """Before: the problem as found. After: rectification evidence (workflows closure checks it)."""

    BEFORE = "before", _("整改前")
    AFTER = "after", _("整改后")
