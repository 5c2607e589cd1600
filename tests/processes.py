"""Subprocesses the tests start in their own process group (qcluster, gunicorn): one way to stop them."""

import contextlib
import os
import signal
import subprocess


def _kill_group(process):
    with contextlib.suppress(ProcessLookupError):  # the group is already empty
        os.killpg(process.pid, signal.SIGKILL)


def stop_process_group(process, sig=signal.SIGTERM):
    """Stop a process and everything it started.

    A graceful signal goes to the main process only: a qcluster given SIGTERM stops its sentinel and
    workers itself in about a second, while SIGTERM sent to its whole group at once leaves it hanging
    until it is killed (seen: no exit within 40 s). Then the group is killed, in case anything
    outlived its parent. SIGKILL goes to the group directly."""
    if process is None:
        return
    if process.poll() is None:
        if sig == signal.SIGKILL:
            _kill_group(process)
        else:
            process.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
    _kill_group(process)
    process.wait(timeout=10)
