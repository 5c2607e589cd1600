"""Remove Wagtail's default "Moderators approval" workflow (and its task) when nothing uses it.

Wagtail's migration 0048 creates it on the tree root; this project puts its own 领导审批 workflow
there after every migrate (`home.services.ensure_moderation_workflow`) and the disclosures use
捐赠公示审核 (`home.ledger.services.ensure_workflow`), so the default one only confuses editors with
a second approval choice. It is kept if it ever moderated anything (states), if a snippet model uses
it, or if it is attached to any page other than the root.
"""

from django.db import migrations

DEFAULT_NAME = "Moderators approval"


def remove_default_workflow(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")
    WorkflowState = apps.get_model("wagtailcore", "WorkflowState")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    TaskState = apps.get_model("wagtailcore", "TaskState")

    for workflow in Workflow.objects.filter(name=DEFAULT_NAME):
        if WorkflowState.objects.filter(workflow=workflow).exists():
            continue
        if WorkflowContentType.objects.filter(workflow=workflow).exists():
            continue
        attached = WorkflowPage.objects.filter(workflow=workflow)
        if attached.exclude(page__depth=1).exists():
            continue
        task_ids = list(WorkflowTask.objects.filter(workflow=workflow).values_list("task_id", flat=True))
        # The root's link goes; the project's own workflow is attached there after migrate.
        attached.delete()
        WorkflowTask.objects.filter(workflow=workflow).delete()
        workflow.delete()
        for task in GroupApprovalTask.objects.filter(pk__in=task_ids, name=DEFAULT_NAME):
            if (
                WorkflowTask.objects.filter(task=task).exists()
                or TaskState.objects.filter(task=task).exists()
            ):
                continue
            task.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0004_daily_brief"),
        ("wagtailcore", "0048_add_default_workflows"),
    ]

    operations = [migrations.RunPython(remove_default_workflow, migrations.RunPython.noop)]
