"""Errors services raise. `str(error)` is a Polish sentence fit to show the user; never a secret."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error a service raises on purpose."""


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class InvalidInput(ServiceError):
    """Bad input; `problems` lists every problem found, one Polish sentence each."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class AuthenticationFailed(ServiceError):
    pass


class NotLinked(ServiceError):
    """The operation needs a working way into the client's KSeF context and the client has none."""


class KsefUnreachable(ServiceError):
    """KSeF could not be asked (network, outage, rate limit) or refused; the message says why in Polish."""

    def __init__(self, message: str, problem_class: str = "") -> None:
        super().__init__(message)
        self.problem_class = problem_class
