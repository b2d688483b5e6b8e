"""The pipeline's build role as Copilot renders it (templates/cicd/partials/build-action.yml,
role-config.yml and role-policy-document.yml at v1.33.2), with the pipeline manifest's
build.additional_policy: what the build's own calls are allowed. Copilot's commands in the
build (package.sh) call AWS with these credentials, except what they do as an environment's
manager role (tests/infra/aws_rules/copilot_calls.py)."""

from __future__ import annotations

from typing import Any

# AWS managed policies role-config.yml attaches (their documents as AWS publishes them).
AMAZON_SSM_READ_ONLY_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["ssm:Describe*", "ssm:Get*", "ssm:List*"], "Resource": "*"}
    ],
}
AWS_CLOUDFORMATION_READ_ONLY_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "cloudformation:Describe*",
                "cloudformation:EstimateTemplateCost",
                "cloudformation:Get*",
                "cloudformation:List*",
                "cloudformation:ValidateTemplate",
                "cloudformation:Detect*",
            ],
            "Resource": "*",
        }
    ],
}


def build_role_policies(
    manifest: dict[str, Any], *, app: str, region: str, account: str
) -> list[dict[str, Any]]:
    """Every policy document of the build project's role, resolved for one region."""
    bucket = f"stackset-{app}-infrastru-pipelinebuiltartifactbuc-1abcdefghijk"
    key = f"arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    stages = [stage["name"] for stage in manifest["stages"]]
    copilots = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "codebuild:CreateReportGroup",
                    "codebuild:CreateReport",
                    "codebuild:UpdateReport",
                    "codebuild:BatchPutTestCases",
                    "codebuild:BatchPutCodeCoverages",
                ],
                "Resource": f"arn:aws:codebuild:{region}:{account}:report-group/pipeline-{app}-*",
            },
            {
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            },
            {"Effect": "Allow", "Action": ["kms:*"], "Resource": [key]},
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:aws:logs:*:*:*",
            },
            {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": [
                    "ecr:DescribeImageScanFindings",
                    "ecr:GetLifecyclePolicyPreview",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                    "ecr:DescribeImages",
                    "ecr:ListTagsForResource",
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetLifecyclePolicy",
                    "ecr:GetRepositoryPolicy",
                    "ecr:PutImage",
                    "ecr:InitiateLayerUpload",
                    "ecr:UploadLayerPart",
                    "ecr:CompleteLayerUpload",
                ],
                "Resource": "*",
                "Condition": {"StringEquals": {"ecr:ResourceTag/copilot-application": app}},
            },
        ],
    }
    assume = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Resource": f"arn:aws:iam::{account}:role/{app}-{stage}-EnvManagerRole",
                "Action": ["sts:AssumeRole"],
            }
            for stage in stages
        ],
    }
    documents = [assume, copilots, AMAZON_SSM_READ_ONLY_ACCESS, AWS_CLOUDFORMATION_READ_ONLY_ACCESS]
    additional = (manifest.get("build") or {}).get("additional_policy")
    if additional:
        documents.append(additional["PolicyDocument"])
    return documents
