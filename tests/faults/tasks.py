"""Task functions the fault tests queue into a real qcluster (imported by its workers)."""

import os
import time

from django.db import transaction


def transition_then_hang_once(issue_id, marker_path, hold_seconds=60):
    """The real auto-assign task; on its first run the move is made inside a transaction that is
    held open (the worker is killed there: mid-transition, before the commit). Later runs are the
    plain task."""
    from workflows.tasks import auto_assign

    if os.path.exists(marker_path):
        with open(marker_path, "a") as marker:
            marker.write("rerun\n")
        return auto_assign(issue_id)
    with transaction.atomic():
        result = auto_assign(issue_id)
        with open(marker_path, "w") as marker:
            marker.write(f"moved {os.getpid()}\n")
        time.sleep(hold_seconds)
    return result


def record_run(path, label):
    """A scheduled job's side effect outside the database: one line per run."""
    with open(path, "a") as out:
        out.write(f"{label} {os.getpid()}\n")
    return label


def busy(seconds, marker_path):
    """Keeps the (single) worker busy so that later tasks stay queued in the broker."""
    with open(marker_path, "w") as marker:
        marker.write(f"busy {os.getpid()}\n")
    time.sleep(seconds)
    return seconds
