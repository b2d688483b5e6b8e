"""Deploy the browser app to an environment: build, upload to the frontend bucket, write
config.json from the environment's outputs, invalidate what must not be served stale.

    python frontend/scripts/deploy.py --app teamtasks --env dev [--region eu-west-1]
        [--distribution-id E123...] [--skip-build]

What it reads: the CloudFormation exports of the environment's addons named in EXPORTS below
(addons/environment/cognito.yml and frontend.yml declare them; tests/infra/test_rendered_stacks.py
checks that every name here is exported). The CloudFront distribution is the one whose origin is
that bucket (Copilot does not export its id); --distribution-id names it instead.

Cache headers: content-hashed files under assets/ are immutable for a year; everything else
(index.html, config.json, favicon) is `no-cache`, so browsers and CloudFront revalidate it on
every use. Hashed assets go up first and index.html last, so a visitor never gets an index that
names assets not yet uploaded; old assets stay (a tab opened before the deploy still needs them;
the bucket's lifecycle rule expires old versions).

AWS credentials and region come from the usual places (environment, profile, role); with
AWS_ENDPOINT_URL set it talks to an emulator, which is how tests/e2e/test_deploy.py runs it.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

FRONTEND = Path(__file__).resolve().parents[1]
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
INVALIDATE = ["/", "/index.html", "/config.json"]
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}


# Environment field -> the export it comes from, <app>-<env>-<suffix>.
EXPORTS = {
    "user_pool_id": "UserPoolId",
    "user_pool_client_id": "UserPoolClientId",
    "bucket": "FrontendBucketName",
}


class DeployError(Exception):
    """Something the person deploying must fix; the message says what."""


@dataclass(frozen=True)
class Environment:
    region: str
    user_pool_id: str
    user_pool_client_id: str
    bucket: str

    def runtime_config(self) -> dict[str, Any]:
        return {
            "apiBaseUrl": "/api/v1",
            "region": self.region,
            "userPoolId": self.user_pool_id,
            "userPoolClientId": self.user_pool_client_id,
            "cognitoEndpoint": None,
        }


def exports(cloudformation: Any) -> dict[str, str]:
    values: dict[str, str] = {}
    for page in cloudformation.get_paginator("list_exports").paginate():
        for export in page["Exports"]:
            values[export["Name"]] = export["Value"]
    return values


def read_environment(session: Any, app: str, env: str) -> Environment:
    found = exports(session.client("cloudformation"))
    names = {field: f"{app}-{env}-{suffix}" for field, suffix in EXPORTS.items()}
    missing = [name for name in names.values() if name not in found]
    if missing:
        raise DeployError(
            f"environment {env!r} of {app!r} does not export {', '.join(missing)} in "
            f"{session.region_name}: is it deployed, with its addons?"
        )
    return Environment(
        region=session.region_name, **{key: found[name] for key, name in names.items()}
    )


def find_distribution(cloudfront: Any, bucket: str) -> str:
    """The distribution that serves the bucket (an S3 origin named after it)."""
    matches = []
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for distribution in page.get("DistributionList", {}).get("Items", []) or []:
            for origin in distribution["Origins"]["Items"]:
                if origin["DomainName"].split(".s3.")[0] == bucket:
                    matches.append(distribution["Id"])
    if len(matches) != 1:
        raise DeployError(
            f"{len(matches)} CloudFront distributions serve bucket {bucket}; "
            "name one with --distribution-id"
        )
    return matches[0]


def build() -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise DeployError("npm is not on PATH: install Node.js 20.19+ or pass --skip-build")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)  # noqa: S603
    subprocess.run([npm, "run", "build"], cwd=FRONTEND, check=True)  # noqa: S603


def content_type(path: Path) -> str:
    return (
        CONTENT_TYPES.get(path.suffix)
        or mimetypes.guess_type(path.name)[0]
        or ("application/octet-stream")
    )


def upload_plan(dist: Path) -> list[tuple[Path, str, str]]:
    """(file, key, Cache-Control) in upload order: hashed assets, other files, index.html."""
    if not (dist / "index.html").is_file():
        raise DeployError(f"{dist} has no index.html: build first")
    files = sorted(p for p in dist.rglob("*") if p.is_file())
    plan = []
    for path in files:
        key = path.relative_to(dist).as_posix()
        if key == "config.json":
            continue  # written from the environment, never from the build
        cache = IMMUTABLE if key.startswith("assets/") else REVALIDATE
        plan.append((path, key, cache))
    order = {"assets": 0, "other": 1, "index": 2}

    def rank(item: tuple[Path, str, str]) -> int:
        key = item[1]
        return order[
            "index" if key == "index.html" else "assets" if key.startswith("assets/") else "other"
        ]

    return sorted(plan, key=rank)


def deploy(
    session: Any,
    app: str,
    env: str,
    *,
    dist: Path,
    distribution_id: str | None = None,
    log=print,
) -> dict[str, Any]:
    environment = read_environment(session, app, env)
    s3 = session.client("s3")
    cloudfront = session.client("cloudfront")
    distribution = distribution_id or find_distribution(cloudfront, environment.bucket)
    plan = upload_plan(dist)
    config = json.dumps(environment.runtime_config(), indent=2).encode()
    # config.json before index.html: the new index may rely on new configuration.
    index = plan.pop()

    def upload(key: str, body: bytes, content: str, cache: str) -> None:
        s3.put_object(
            Bucket=environment.bucket, Key=key, Body=body, ContentType=content, CacheControl=cache
        )
        log(f"  s3://{environment.bucket}/{key}  ({cache})")

    for path, key, cache in plan:
        upload(key, path.read_bytes(), content_type(path), cache)
    upload("config.json", config, "application/json", REVALIDATE)
    path, key, cache = index
    upload(key, path.read_bytes(), content_type(path), cache)
    invalidation = cloudfront.create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={
            "Paths": {"Quantity": len(INVALIDATE), "Items": INVALIDATE},
            "CallerReference": f"frontend-{time.time_ns()}",
        },
    )["Invalidation"]
    log(f"  CloudFront {distribution}: invalidation {invalidation['Id']} of {INVALIDATE}")
    return {
        "bucket": environment.bucket,
        "distribution": distribution,
        "invalidation": invalidation["Id"],
        "files": len(plan) + 2,
        "config": environment.runtime_config(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", default="teamtasks")
    parser.add_argument("--env", required=True)
    parser.add_argument("--region", help="default: the AWS configuration's")
    parser.add_argument("--distribution-id", help="default: the one serving the bucket")
    parser.add_argument("--dist", type=Path, default=FRONTEND / "dist")
    parser.add_argument("--skip-build", action="store_true", help="deploy the existing dist/")
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region or os.environ.get("AWS_REGION"))
    if not session.region_name:
        print("No AWS region: pass --region or set AWS_REGION.", file=sys.stderr)
        return 2
    try:
        if not args.skip_build:
            build()
        print(f"Deploying {args.dist} to {args.app}/{args.env} in {session.region_name}")
        result = deploy(
            session, args.app, args.env, dist=args.dist, distribution_id=args.distribution_id
        )
    except (DeployError, subprocess.CalledProcessError) as error:
        print(f"Deploy failed: {error}", file=sys.stderr)
        return 1
    print(f"Deployed {result['files']} files to s3://{result['bucket']}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
