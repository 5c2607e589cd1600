"""Create the bureau's role groups; their permissions are applied by workflows.roles after migrate."""

from django.db import migrations

GROUP_NAMES = (
    "宣传 Communications",
    "督查员 Inspectors",
    "责任单位 Responsible units",
    "领导 Leadership",
    "管理员 Administrators",
)


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUP_NAMES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
