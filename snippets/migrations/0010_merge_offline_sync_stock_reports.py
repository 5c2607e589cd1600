# Two branches of work each added a 0009 (offline sync, stock reports); this joins them.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("snippets", "0009_offline_sync"),
        ("snippets", "0009_stock_reports_shortages"),
    ]

    operations = []
