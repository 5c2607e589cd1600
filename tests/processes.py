"""Subprocesses the tests start in their own process group (qcluster, gunicorn): one way to stop them."""

import os
import signal
import subprocess


def stop_process_group(process, sig=signal.SIGTERM):
    """Send `sig` to the process's group, wait up to 20 s, then SIGKILL the group."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
