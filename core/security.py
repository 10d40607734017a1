"""Who acts and what they may do: password hashing, the acting user and the role matrix (DESIGN.md §1)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import PermissionDenied
from core.texts import Text
from core.types import Role

_hasher = PasswordHasher()
# Verifying against this keeps the time of a login for an unknown user equal to a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class Permission(StrEnum):
    view = "view"
    manage_clients = "manage_clients"
    archive_clients = "archive_clients"
    run_operations = "run_operations"
    run_fleet_operations = "run_fleet_operations"
    manage_credentials = "manage_credentials"
    view_secrets_metadata = "view_secrets_metadata"
    export_reports = "export_reports"
    manage_users = "manage_users"
    manage_settings = "manage_settings"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.manager: frozenset(Permission),
    Role.support: frozenset(
        {
            Permission.view,
            Permission.manage_clients,
            Permission.run_operations,
            Permission.manage_credentials,
            Permission.view_secrets_metadata,
            Permission.export_reports,
        }
    ),
    Role.analyst: frozenset({Permission.view, Permission.export_reports}),
    # A client user holds no office permission: it reaches only its own company, through core.services.clientside,
    # which checks `Actor.client_id` on every call.
    Role.client: frozenset(),
}


@dataclass(frozen=True)
class Actor:
    """The acting user of a service call. System actors (worker, CLI) have no user id."""

    username: str
    role: Role
    office_id: int
    user_id: int | None = None
    client_id: int | None = None  # role client: the one company it is bound to

    @classmethod
    def system(cls, name: str, office_id: int) -> Actor:
        return cls(username=name, role=Role.manager, office_id=office_id, user_id=None)

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[Role(self.role)]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied(
                Text("permission.denied", role=self.role, permission=Text(f"permission.{permission}"))
            )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
