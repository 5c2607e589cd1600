"""A test qcluster with one worker, a timeout longer than a 2,000-row import, retry above it."""

from cms.settings.test import *  # noqa: F403
from cms.settings.test import Q_CLUSTER

Q_CLUSTER = {**Q_CLUSTER, "workers": 1, "timeout": 30, "retry": 40}
