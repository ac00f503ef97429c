"""Errors of the local stack. Each one says what to do about it."""


class StackError(RuntimeError):
    """Base class: the message is meant for the user, and names the fix."""


class PortInUseError(StackError):
    pass


class ServiceStartError(StackError):
    pass


class JavaNotFoundError(StackError):
    pass


class FetchError(StackError):
    pass


class StateCorruptedError(StackError):
    pass
