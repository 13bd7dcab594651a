"""The `lendsim` console script: imports the command line, then hands over to it.

Importing the scientific stack takes a moment; a Ctrl-C in that moment must say "interrupted",
not print a traceback, so the import itself sits inside the guard.
"""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130


def main() -> None:
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
