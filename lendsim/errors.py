"""Typed errors that the command line turns into one-line messages and exit status 2.

Internals raise these with a message written for the person who made the mistake: the file, the
key and what is allowed. Only `lendsim.cli` decides how to print them and which exit code to use;
anything else that escapes is an internal error (exit 1).
"""


class LendsimError(Exception):
    """Bad input from the user; the message is shown as is, after 'error: '."""


class ScenarioError(LendsimError):
    """A scenario file (or an override) cannot be read, parsed or validated."""


class RunFolderError(LendsimError):
    """A run or sweep folder cannot be written or read."""


class OptionError(LendsimError):
    """A command-line option has a value that is not allowed."""
