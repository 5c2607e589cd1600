from django.core.management.base import BaseCommand

from workflows.scheduling import declared_schedules, ensure_schedules


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules declared in each app's schedules.py."

    def handle(self, *args, **options):
        created = ensure_schedules()
        for spec in declared_schedules():
            state = "created" if spec.name in created else "up to date"
            self.stdout.write(f"{spec.name:<40} {spec.func}  ({state})")
