"""Errors that mean "the input is wrong", shown to users as one message (the CLI exits 2)."""


class UserError(Exception):
    """Bad input, config or request: the message names what and where."""
