"""A task that always kills its worker, for the poison-task test (RELIABILITY item 13)."""

import os

from workflows.automation import run_counted


def kill_worker(key, marker_path):
    def body():
        with open(marker_path, "a") as marker:
            marker.write("run\n")
        os._exit(9)

    return run_counted(key, "tests.workflows.poison.kill_worker", body)


def assign_then_die_once(issue_id, marker_path):
    """Run the real auto-assign task, then kill the worker before it can acknowledge, once.

    The transition has committed when the worker dies; the broker redelivers the task, and the
    second run must find the move already made.
    """
    from workflows.tasks import auto_assign

    result = auto_assign(issue_id)
    if not os.path.exists(marker_path):
        with open(marker_path, "w") as marker:
            marker.write("died\n")
        os._exit(9)
    with open(marker_path, "a") as marker:
        marker.write("rerun\n")
    return result
