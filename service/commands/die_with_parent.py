"""`python -m service.commands.die_with_parent MODULE ARGS...` runs `python -m MODULE ARGS...`
so that it gets SIGTERM when the process that started it dies, even by SIGKILL (Linux's
PR_SET_PDEATHSIG, kept across exec). `momentcast run` starts its Celery workers this way, so
none outlives it; SIGTERM is Celery's warm shutdown. Done here, in the child before exec,
rather than in a `preexec_fn`, which is unsafe once the parent has threads."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main() -> None:
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request was in place
            sys.exit(1)
    os.execv(sys.executable, [sys.executable, "-m", *sys.argv[1:]])


if __name__ == "__main__":
    main()
