"""The `lendsim` console script: imports the command line, then hands over to it.

Importing the scientific stack takes a moment; a Ctrl-C in that moment must say "interrupted",
not print a traceback, so the import itself sits inside the guard.

SIGTERM (what `kill`, a job scheduler or a container runtime sends) stops lendsim the way Ctrl-C
does: worker processes are shut down, a sweep keeps its finished tasks for `--resume`, and the
exit status is 143 (128 + SIGTERM). Left to its default action, SIGTERM ended the process on the
spot, and multiprocessing's resource tracker then complained on stderr about the worker pool's
semaphores ("There appear to be 5 leaked semaphore objects to clean up at shutdown").
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, delivered as a Ctrl-C so that every clean-up path for Ctrl-C runs for it too."""


_terminated = False


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Hand SIGTERM to whatever handles Ctrl-C now — the default handler raises KeyboardInterrupt;
    a block that must not be cut in half (lendsim.store.deferred_interrupt) holds it until done."""
    global _terminated
    _terminated = True
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    on_ctrl_c = signal.getsignal(signal.SIGINT)
    if callable(on_ctrl_c):
        on_ctrl_c(signal.SIGINT, frame)
    else:  # Ctrl-C ignored (a background job) or not handled from Python: stop all the same
        raise Terminated


def main() -> None:
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        _run()
    except SystemExit as done:
        if _terminated:
            sys.exit(EXIT_TERMINATED)
        raise done from None
    if _terminated:  # the command finished its work before the signal could stop it
        sys.exit(EXIT_TERMINATED)


def _run() -> None:
    try:
        from lendsim.cli import main as cli_main
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    try:
        cli_main()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
