"""cdk-nag on every stack: the AWS Solutions rules and NIST 800-53 rev 5. A finding fails the
synthesis unless it is acknowledged here, on the construct it concerns, with its reason
(docs/security.md lists them)."""

from __future__ import annotations

import aws_cdk as cdk
import cdk_nag


def check(app: cdk.App) -> None:
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app))
    cdk.Validations.of(app).add_plugins(cdk_nag.NIST80053R5Checks(app))
