"""Settings for a test qcluster that must redeliver a killed task quickly.

Used as `qcluster.start(DJANGO_SETTINGS_MODULE="tests.workflows.qcluster_settings")`. retry stays
above timeout as in production. max_attempts is set high on purpose: the poison-task test proves
that the app's own attempt counter, not django-q2's, stops a task that kills its worker.
"""

from cms.settings.test import *  # noqa: F403
from cms.settings.test import Q_CLUSTER

Q_CLUSTER = {**Q_CLUSTER, "workers": 1, "timeout": 4, "retry": 7, "max_attempts": 100}
