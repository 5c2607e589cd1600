"""Reference data: the issue categories and the two checklist templates the bureau starts with.

Administrators edit them afterwards; re-running only fills in what is missing.
"""

from django.db import migrations

# code, name, default severity, default deadline (days), closure needs leadership
CATEGORIES = [
    ("supply-shortage", "防控物资不足", "high", 3, True),
    ("late-screening", "人员摸排不及时", "medium", 5, True),
    ("urban-rural-imbalance", "防控工作不平衡", "medium", 15, True),
    ("disinfection", "未落实每日二次消杀", "medium", 3, False),
    ("gathering-no-masks", "聚集未戴口罩", "medium", 3, False),
    ("visits-not-suspended", "未暂停探视", "high", 1, True),
    ("funeral-rules", '殡葬"三个严控"未落实', "high", 3, True),
    ("closed-management", "未落实封闭管理", "high", 1, True),
    ("staff-protection", "工作人员防护不到位", "medium", 3, False),
    ("temperature-checks", "未落实体温检测", "medium", 3, False),
]

ELDER_CARE = ["township_elder_care", "private_elder_care", "welfare_home"]
FUNERAL = ["funeral_home"]

# template name, kinds, items (text, category code, severity)
TEMPLATES = [
    (
        "养老机构疫情防控检查表",
        ELDER_CARE,
        [
            ("实行封闭管理，出入口专人值守、登记", "closed-management", "high"),
            ("暂停家属探视，有告知公示", "visits-not-suspended", "high"),
            ("工作人员完成健康摸排并建立台账", "late-screening", "medium"),
            ("公共区域每日二次消杀并有记录", "disinfection", "medium"),
            ("集中活动、就餐时佩戴口罩、保持间距", "gathering-no-masks", "medium"),
            ("口罩、消毒液、体温计等防控物资储备充足", "supply-shortage", "high"),
        ],
    ),
    (
        "殡仪馆疫情防控检查表",
        FUNERAL,
        [
            ("告别仪式参加人数不超过15人", "funeral-rules", "high"),
            ("送葬私家车不超过3辆", "funeral-rules", "high"),
            ("丧事办理不超过3天", "funeral-rules", "high"),
            ("对进入人员进行体温检测", "temperature-checks", "medium"),
            ("业务场所每日消毒并有记录", "disinfection", "medium"),
            ("工作人员按规定穿戴防护用品", "staff-protection", "medium"),
        ],
    ),
]


def seed(apps, schema_editor):
    IssueCategory = apps.get_model("snippets", "IssueCategory")
    ChecklistTemplate = apps.get_model("snippets", "ChecklistTemplate")
    ChecklistItem = apps.get_model("snippets", "ChecklistItem")
    categories = {}
    for order, (code, name, severity, days, leadership) in enumerate(CATEGORIES):
        categories[code], _created = IssueCategory.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "default_severity": severity,
                "default_deadline_days": days,
                "closure_needs_leadership": leadership,
                "sort_order": order,
            },
        )
    for name, kinds, items in TEMPLATES:
        template, created = ChecklistTemplate.objects.get_or_create(name=name, defaults={"kinds": kinds})
        if not created:
            continue
        for order, (text, code, severity) in enumerate(items):
            ChecklistItem.objects.create(
                template=template, sort_order=order, text=text, category=categories[code], severity=severity
            )


class Migration(migrations.Migration):
    dependencies = [("snippets", "0002_checklists_rounds_visits_photos")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
