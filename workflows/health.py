"""The state of the database and the task cluster, as reported by /healthz."""

from datetime import timedelta

from django.db import DatabaseError, connection
from django.utils import timezone


def database_state():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor}


def cluster_state():
    """Alive clusters from django-q2's heartbeat, the queue length and failures in the last hour."""
    from django_q.brokers import get_broker
    from django_q.models import Failure
    from django_q.status import Stat

    try:
        broker = get_broker()
        stats = Stat.get_all(broker=broker)
        queued = broker.queue_size()
        failed_last_hour = Failure.objects.filter(stopped__gte=timezone.now() - timedelta(hours=1)).count()
    except Exception as exc:  # a broker we cannot reach is a state to report, not a crash
        return {"ok": False, "error": exc.__class__.__name__, "clusters": 0}
    # A cluster's stat expires 3 s after its last heartbeat, so presence means alive, except that a
    # cluster shutting down writes a last heartbeat without workers (status Stopping/Stopped), as
    # does one still starting: only a cluster with workers can run a task.
    clusters = [stat for stat in stats if stat.workers]
    return {
        "ok": bool(clusters),
        "clusters": len(clusters),
        "workers": sum(len(stat.workers) for stat in clusters),
        "queued": queued,
        "failed_last_hour": failed_last_hour,
    }


def health():
    database = database_state()
    cluster = cluster_state() if database["ok"] else {"ok": False, "clusters": 0}
    return {"ok": database["ok"] and cluster["ok"], "database": database, "cluster": cluster}
