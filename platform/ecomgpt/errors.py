"""Errors that mean "the input is wrong", shown to users as one message (the CLI exits 2)."""


class UserError(Exception):
    """Bad input, config or request: the message names what and where."""


def user_error_in(error: BaseException) -> UserError | None:
    """The UserError behind `error`: itself, or one raised inside a Ray task or actor and re-raised on the
    driver wrapped (Ray's task errors keep the original as `cause`, Ray Data's user-code errors chain it as
    `__cause__`). A wrapper that is itself a UserError (Ray's dual-class task error) gives its original."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        original = getattr(current, "cause", None)
        if isinstance(current, UserError) and not isinstance(original, BaseException):
            return current
        pending += [e for e in (original, current.__cause__, current.__context__) if isinstance(e, BaseException)]
    return None
