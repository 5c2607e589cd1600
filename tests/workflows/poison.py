"""A task that always kills its worker, for the poison-task test (RELIABILITY item 13)."""

import os

from workflows.automation import run_counted


def kill_worker(key, marker_path):
    def body():
        with open(marker_path, "a") as marker:
            marker.write("run\n")
        os._exit(9)

    return run_counted(key, "tests.workflows.poison.kill_worker", body)
