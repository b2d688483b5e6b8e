"""AWS Backup's recovery points in the emulator, which moto (5.2) does not have: enough for a
teardown to meet them as it would in AWS.

- StartBackupJob puts a recovery point of the resource into the vault at once (AWS takes
  minutes; the teardown only needs it there);
- ListRecoveryPointsByBackupVault and DeleteRecoveryPoint, with AWS's shapes;
- DeleteBackupVault refuses a vault that still holds recovery points, as AWS does
  (InvalidRequestException: the vault must be empty).

`recovery_points()` is a context manager: it adds the three calls to moto's Backup service and
the refusal, and takes them away again."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from moto.backup import models, responses, urls
from moto.backup.exceptions import InvalidRequestException, ResourceNotFoundException

_PATHS = {
    "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/?$": urls.response.dispatch,
    "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/(?P<arn>.+)$": urls.response.dispatch,
    "{0}/backup-jobs/?$": urls.response.dispatch,
}


def _points(backend: Any) -> dict[str, dict[str, dict[str, Any]]]:
    if not hasattr(backend, "recovery_points"):
        backend.recovery_points = {}
    return backend.recovery_points


def _start_backup_job(self: Any) -> str:
    params = json.loads(self.body)
    vault = params["BackupVaultName"]
    backend = self.backup_backend
    backend.describe_backup_vault(vault)
    arn = f"arn:aws:backup:{self.region}:{self.current_account}:recovery-point:{uuid.uuid4()}"
    _points(backend).setdefault(vault, {})[arn] = {
        "RecoveryPointArn": arn,
        "BackupVaultName": vault,
        "ResourceArn": params["ResourceArn"],
        "IamRoleArn": params["IamRoleArn"],
        "Status": "COMPLETED",
        "CreationDate": datetime.now(UTC).timestamp(),
    }
    return json.dumps({"BackupJobId": str(uuid.uuid4()), "RecoveryPointArn": arn})


def _list_recovery_points(self: Any) -> str:
    vault = unquote(self.path.split("/backup-vaults/")[1].split("/")[0])
    self.backup_backend.describe_backup_vault(vault)
    found = list(_points(self.backup_backend).get(vault, {}).values())
    return json.dumps({"RecoveryPoints": found})


def _delete_recovery_point(self: Any) -> str:
    vault, _, arn = self.path.split("/backup-vaults/")[1].partition("/recovery-points/")
    vault, arn = unquote(vault), unquote(arn)
    if _points(self.backup_backend).get(vault, {}).pop(arn, None) is None:
        raise ResourceNotFoundException(f"recovery point {arn} not found in {vault}")
    return "{}"


def _refusing_delete(original: Any) -> Any:
    def delete_backup_vault(self: Any, backup_vault_name: str) -> None:
        if _points(self).get(backup_vault_name):
            raise InvalidRequestException(
                f"Backup vault {backup_vault_name} cannot be deleted (it contains recovery points)"
            )
        original(self, backup_vault_name)

    return delete_backup_vault


@contextmanager
def recovery_points() -> Iterator[None]:
    added = {
        "start_backup_job": _start_backup_job,
        "list_recovery_points_by_backup_vault": _list_recovery_points,
        "delete_recovery_point": _delete_recovery_point,
    }
    original_delete = models.BackupBackend.delete_backup_vault
    saved_paths = dict(urls.url_paths)
    try:
        urls.url_paths.update(_PATHS)
        for name, method in added.items():
            setattr(responses.BackupResponse, name, method)
        models.BackupBackend.delete_backup_vault = _refusing_delete(original_delete)
        yield
    finally:
        models.BackupBackend.delete_backup_vault = original_delete
        for name in added:
            delattr(responses.BackupResponse, name)
        urls.url_paths.clear()
        urls.url_paths.update(saved_paths)
