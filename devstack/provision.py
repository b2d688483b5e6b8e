"""Create, on the emulator, the resources the service needs from the addon templates in addons/:
the same files Copilot deploys to AWS. The templates are read, never restated here.

Each resource type of the templates is handled in exactly one way (a test keeps this honest):
- CLOUDFORMATION: deployed as a CloudFormation stack on the emulator, which creates these types.
- THROUGH_APIS: the emulator's CloudFormation ignores these (moto silently skips Cognito and
  Secrets Manager), so they are created through the service APIs from the template's properties.
- NOT_NEEDED_LOCALLY: nothing local uses them; the reason is given.
Table settings that the emulator's CloudFormation drops (TTL, point-in-time recovery, deletion
protection) are applied through the DynamoDB API afterwards.

Then the outputs are resolved: the environment's exports are published as CloudFormation exports
(a stack `<app>-<env>-addons-exports`, since moto's CloudFormation drops outputs that name what it
skipped), so scripts that read them (frontend/scripts/deploy.py) work against the local stack as in
AWS; and they feed the service addon's outputs, which become the service's environment variables
by Copilot's naming rule.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from devstack import templates
from devstack.intrinsics import SUB_VARIABLE, Resolver, Unresolvable

CLOUDFORMATION = frozenset(
    {"AWS::KMS::Key", "AWS::KMS::Alias", "AWS::DynamoDB::Table", "AWS::S3::Bucket"}
)
THROUGH_APIS = frozenset(
    {
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolClient",
        "AWS::SecretsManager::Secret",
        "AWS::DynamoDB::GlobalTable",
        "AWS::SES::EmailIdentity",
        "AWS::SES::ConfigurationSet",
    }
)
NOT_NEEDED_LOCALLY: dict[str, str] = {
    "AWS::IAM::ManagedPolicy": "the emulator accepts any credentials; IAM policies are checked "
    "statically in tests/infra",
    "AWS::IAM::Role": "the emulator accepts any credentials; the rotation function's role is "
    "checked statically in tests/infra",
    "AWS::Lambda::Function": "the emulator cannot invoke Lambdas (no Docker); the rotation "
    "function's four steps are tested in-process against moto in tests/infra",
    "AWS::Lambda::Permission": "only lets Secrets Manager invoke the rotation function",
    "AWS::SecretsManager::RotationSchedule": "rotation needs the Lambda; locally the secret keeps "
    "its first value",
    "AWS::Logs::LogGroup": "the addon log groups hold the rotation function's and the WAF's "
    "logs, neither of which runs locally",
    "AWS::WAFv2::WebACL": "nothing local sits behind a load balancer; the rules are asserted "
    "in tests/infra",
    "AWS::WAFv2::LoggingConfiguration": "belongs to the web ACL",
    "AWS::WAFv2::WebACLAssociation": "there is no load balancer locally",
    "AWS::S3::BucketPolicy": "nothing local reads the buckets through CloudFront or needs their "
    "TLS rule (moto's CloudFormation cannot create it)",
    "AWS::SNS::Topic": "alarms are not evaluated locally",
    "AWS::SNS::TopicPolicy": "belongs to the alarm topic",
    "AWS::SNS::Subscription": "belongs to the alarm topic",
    "AWS::CloudWatch::Alarm": "alarms are not evaluated locally; their metrics and thresholds "
    "are asserted in tests/infra",
    "AWS::CloudWatch::Dashboard": "a view in the AWS console only",
    "AWS::EC2::SecurityGroupEgress": "the tasks' way to the VPC endpoints; locally the service "
    "runs on the host, outside any VPC",
    "AWS::SecretsManager::ResourcePolicy": "it admits requests through the VPC's endpoint only; "
    "the emulator has no VPC and does not enforce resource policies",
    "AWS::Backup::BackupVault": "the emulator's CloudFormation has no AWS Backup; make "
    "restore-drill restores from a DynamoDB backup instead",
    "AWS::Backup::BackupPlan": "the vault's schedule; the emulator has no AWS Backup",
    "AWS::Backup::BackupSelection": "what the vault's plan backs up; the emulator has no "
    "AWS Backup",
    "AWS::Lambda::EventSourceMapping": "devstack/stream_poller.py reads the emulator's stream "
    "and calls the stream functions' handlers with the mappings' filters and batch sizes",
    "AWS::SQS::Queue": "the stream functions' dead-letter queue; the local poller logs a batch "
    "it gives up on instead",
    "AWS::SQS::QueuePolicy": "belongs to the dead-letter queue",
    "AWS::EC2::SecurityGroup": "the stream functions' network; locally their handlers run in "
    "the devstack process",
    "AWS::Lambda::EventInvokeConfig": "the notifier's asynchronous retries; locally `make "
    "digest` calls the handler directly",
    "AWS::Scheduler::Schedule": "the daily digest's schedule; locally `make digest` runs the "
    "digest at once",
    "AWS::Events::Rule": "SES's bounce and complaint events; the emulator's SES sends none",
    "AWS::SES::ConfigurationSetEventDestination": "the emulator's SES sends no bounce or "
    "complaint events; the notifier's handling of them is tested with SES's event shape in "
    "tests/unit/test_notifier.py",
}


@dataclass
class Provisioned:
    """What the local stack made: physical ids and attributes by logical id, the environment's
    exports, and the environment variables the service reads."""

    resources: dict[str, dict[str, str]] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    service_environment: dict[str, str] = field(default_factory=dict)


Progress = Callable[[str], None]


class LocalProvisioner:
    def __init__(self, session: Any, *, app: str, env: str, progress: Progress = print):
        self._session = session
        self._app = app
        self._env = env
        self._progress = progress
        self._region = session.region_name
        self._account = session.client("sts").get_caller_identity()["Account"]

    def client(self, service: str) -> Any:
        return self._session.client(service)

    def run(self) -> Provisioned:
        result = Provisioned()
        environment = templates.merged(templates.ENVIRONMENT_ADDONS)
        parameters = {"App": self._app, "Env": self._env}
        _check_every_type_is_handled(environment)

        stack_name = f"{self._app}-{self._env}-addons"
        self._progress(f"CloudFormation stack {stack_name} (KMS keys, frontend bucket)")
        self._deploy_stack(stack_name, environment, parameters, result)

        resolver = self._resolver(environment, parameters, stack_name, result)
        self._apply_table_settings(environment, resolver, result)
        for logical_id, resource in _in_dependency_order(environment, THROUGH_APIS):
            if "Condition" in resource and not resolver.condition(resource["Condition"]):
                continue
            self._progress(f"{resource['Type']} {logical_id} (through its API)")
            properties = resolver.resolve(_needed_locally(resource))
            create = _API_CREATORS[resource["Type"]]
            result.resources[logical_id] = create(self, properties)
            resolver = self._resolver(environment, parameters, stack_name, result)

        for output in (environment.get("Outputs") or {}).values():
            export = output.get("Export")
            if export and not _refers_to_absent(environment, output["Value"]):
                result.exports[resolver.resolve(export["Name"])] = str(
                    resolver.resolve(output["Value"])
                )
        self._publish_exports(f"{stack_name}-exports", result.exports)
        result.service_environment = self._service_environment(result)
        return result

    # -- the CloudFormation part ---------------------------------------------------------------

    def _deploy_stack(
        self,
        stack_name: str,
        template: Mapping[str, Any],
        parameters: Mapping[str, str],
        result: Provisioned,
    ) -> None:
        resolver = self._resolver(template, parameters, stack_name, result)
        body = {
            "AWSTemplateFormatVersion": "2010-09-09",
            # Parameters without a value here (the VPC's, which Copilot passes from the
            # environment stack) belong to resources that are not deployed locally.
            "Parameters": {
                name: spec
                for name, spec in (template.get("Parameters") or {}).items()
                if "Default" in spec or name in parameters
            },
            "Conditions": template.get("Conditions", {}),
            "Resources": {
                logical_id: for_emulator(resource, resolver)
                for logical_id, resource in template["Resources"].items()
                if resource["Type"] in CLOUDFORMATION
            },
        }
        if not body["Conditions"]:
            del body["Conditions"]
        cloudformation = self.client("cloudformation")
        arguments = {
            "StackName": stack_name,
            "TemplateBody": json.dumps(body),
            "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            "Tags": [
                {"Key": "copilot-application", "Value": self._app},
                {"Key": "copilot-environment", "Value": self._env},
            ],
        }
        if self._stack_exists(stack_name):
            try:
                cloudformation.update_stack(**arguments)
            except ClientError as error:
                if "No updates" not in str(error):
                    raise
        else:
            cloudformation.create_stack(**arguments)
        self._wait_for_stack(stack_name)
        for resource in cloudformation.describe_stack_resources(StackName=stack_name)[
            "StackResources"
        ]:
            result.resources[resource["LogicalResourceId"]] = self._attributes(
                resource["ResourceType"], resource["PhysicalResourceId"]
            )

    def _publish_exports(self, stack_name: str, exports: Mapping[str, str]) -> None:
        """The environment's exports as CloudFormation has them in AWS (ListExports,
        Fn::ImportValue). A stack of its own, made anew each time: moto's update_stack does not
        refresh exports."""
        self._progress(f"CloudFormation exports ({len(exports)}) in stack {stack_name}")
        cloudformation = self.client("cloudformation")
        if self._stack_exists(stack_name):
            cloudformation.delete_stack(StackName=stack_name)
        body = {
            "AWSTemplateFormatVersion": "2010-09-09",
            # A stack needs a resource: a parameter that lists what the stack exports.
            "Resources": {
                "ExportedNames": {
                    "Type": "AWS::SSM::Parameter",
                    "Properties": {
                        "Name": f"/{self._app}/{self._env}/local/exports",
                        "Type": "String",
                        "Value": ",".join(sorted(exports)) or "none",
                    },
                }
            },
            "Outputs": {
                f"Export{number}": {"Value": value, "Export": {"Name": name}}
                for number, (name, value) in enumerate(sorted(exports.items()))
            },
        }
        cloudformation.create_stack(StackName=stack_name, TemplateBody=json.dumps(body))
        self._wait_for_stack(stack_name)

    def _stack_exists(self, stack_name: str) -> bool:
        try:
            stacks = self.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
        except ClientError:
            return False
        return bool(stacks) and stacks[0]["StackStatus"] != "DELETE_COMPLETE"

    def _wait_for_stack(self, stack_name: str, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            stack = self.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
            status = stack["StackStatus"]
            if status.endswith("_COMPLETE") and "ROLLBACK" not in status:
                return
            if status.endswith("_FAILED") or "ROLLBACK" in status:
                raise RuntimeError(
                    f"stack {stack_name} is {status}: {stack.get('StackStatusReason')}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"stack {stack_name} still {status}")
            time.sleep(0.5)

    def _attributes(self, resource_type: str, physical_id: str) -> dict[str, str]:
        """Ref and GetAtt values, read back from the service (the emulator's stack outputs
        cannot be relied on)."""
        if resource_type == "AWS::KMS::Key":
            key = self.client("kms").describe_key(KeyId=physical_id)["KeyMetadata"]
            return {"Ref": key["KeyId"], "Arn": key["Arn"], "KeyId": key["KeyId"]}
        if resource_type == "AWS::DynamoDB::Table":
            table = self.client("dynamodb").describe_table(TableName=physical_id)["Table"]
            attributes = {"Ref": table["TableName"], "Arn": table["TableArn"]}
            if table.get("LatestStreamArn"):
                attributes["StreamArn"] = table["LatestStreamArn"]
            return attributes
        if resource_type == "AWS::S3::Bucket":
            return {
                "Ref": physical_id,
                "Arn": f"arn:aws:s3:::{physical_id}",
                "DomainName": f"{physical_id}.s3.amazonaws.com",
                "RegionalDomainName": f"{physical_id}.s3.{self._region}.amazonaws.com",
            }
        return {"Ref": physical_id}

    def _apply_table_settings(
        self, template: Mapping[str, Any], resolver: Resolver, result: Provisioned
    ) -> None:
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] != "AWS::DynamoDB::Table":
                continue
            name = result.resources[logical_id]["Ref"]
            properties = resolver.resolve(resource.get("Properties", {}))
            self._apply_replica_settings(name, properties, replica=properties)

    # -- the parts created through service APIs --------------------------------------------------

    def create_user_pool(self, properties: dict[str, Any]) -> dict[str, str]:
        cognito = self.client("cognito-idp")
        name = properties["UserPoolName"]
        pool_id = _find_user_pool(cognito, name)
        if pool_id is None:
            arguments = {"PoolName": name, **properties}
            arguments.pop("UserPoolName")
            enabled_mfas = arguments.pop("EnabledMfas", [])
            pool_id = cognito.create_user_pool(
                **_api_arguments(cognito, "CreateUserPool", arguments)
            )["UserPool"]["Id"]
            if "SOFTWARE_TOKEN_MFA" in enabled_mfas:
                cognito.set_user_pool_mfa_config(
                    UserPoolId=pool_id,
                    SoftwareTokenMfaConfiguration={"Enabled": True},
                    MfaConfiguration=properties.get("MfaConfiguration", "OFF"),
                )
        pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        return {
            "Ref": pool_id,
            "Arn": pool["Arn"],
            "ProviderName": f"cognito-idp.{self._region}.amazonaws.com/{pool_id}",
            "ProviderURL": f"https://cognito-idp.{self._region}.amazonaws.com/{pool_id}",
        }

    def create_user_pool_client(self, properties: dict[str, Any]) -> dict[str, str]:
        cognito = self.client("cognito-idp")
        pool_id = properties["UserPoolId"]
        for client in _paged(
            cognito, "list_user_pool_clients", "UserPoolClients", UserPoolId=pool_id
        ):
            if client["ClientName"] == properties["ClientName"]:
                return {"Ref": client["ClientId"], "ClientId": client["ClientId"]}
        created = cognito.create_user_pool_client(
            **_api_arguments(cognito, "CreateUserPoolClient", properties)
        )["UserPoolClient"]
        return {"Ref": created["ClientId"], "ClientId": created["ClientId"]}

    def create_global_table(self, properties: dict[str, Any]) -> dict[str, str]:
        """The table as its replica in this region: moto's CloudFormation has no global tables,
        and a local stack has one region."""
        dynamodb = self.client("dynamodb")
        name = properties["TableName"]
        (replica,) = [r for r in properties["Replicas"] if r["Region"] == self._region]
        try:
            table = dynamodb.describe_table(TableName=name)["Table"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            arguments = {
                key: properties[key]
                for key in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes")
                if key in properties
            }
            stream = properties.get("StreamSpecification")
            if stream:
                arguments["StreamSpecification"] = {"StreamEnabled": True, **stream}
            key = (replica.get("SSESpecification") or {}).get("KMSMasterKeyId")
            if key:
                arguments["SSESpecification"] = {
                    "Enabled": True,
                    "SSEType": "KMS",
                    "KMSMasterKeyId": key,
                }
            table = dynamodb.create_table(
                TableName=name,
                BillingMode=properties.get("BillingMode", "PAY_PER_REQUEST"),
                Tags=replica.get("Tags", []),
                **arguments,
            )["TableDescription"]
            dynamodb.get_waiter("table_exists").wait(TableName=name)
        self._apply_replica_settings(name, properties, replica)
        attributes = {"Ref": name, "Arn": table["TableArn"], "TableId": table.get("TableId", "")}
        if table.get("LatestStreamArn"):
            attributes["StreamArn"] = table["LatestStreamArn"]
        return attributes

    def _apply_replica_settings(
        self, name: str, properties: Mapping[str, Any], replica: Mapping[str, Any]
    ) -> None:
        """The settings the emulator's CloudFormation drops: TTL from the table's properties;
        point-in-time recovery and deletion protection from the replica's (a plain table's
        properties hold both)."""
        dynamodb = self.client("dynamodb")
        ttl = properties.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            current = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                dynamodb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={
                        "AttributeName": ttl["AttributeName"],
                        "Enabled": True,
                    },
                )
        recovery = replica.get("PointInTimeRecoverySpecification") or {}
        if recovery.get("PointInTimeRecoveryEnabled"):
            dynamodb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        if replica.get("DeletionProtectionEnabled"):
            dynamodb.update_table(TableName=name, DeletionProtectionEnabled=True)

    def create_secret(self, properties: dict[str, Any]) -> dict[str, str]:
        secrets = self.client("secretsmanager")
        try:
            arn = secrets.describe_secret(SecretId=properties["Name"])["ARN"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            arguments = {k: v for k, v in properties.items() if k != "GenerateSecretString"}
            if "SecretString" not in arguments:
                arguments["SecretString"] = _generated_secret(
                    secrets, properties.get("GenerateSecretString") or {}
                )
            arn = secrets.create_secret(**_api_arguments(secrets, "CreateSecret", arguments))["ARN"]
        return {"Ref": arn, "Id": arn}

    def create_email_identity(self, properties: dict[str, Any]) -> dict[str, str]:
        """The emulator's SES: the domain identity (verified at once there), so that mail from
        the domain is accepted as in AWS once DNS is set."""
        ses = self.client("sesv2")
        domain = properties["EmailIdentity"]
        try:
            ses.get_email_identity(EmailIdentity=domain)
        except ClientError as error:
            if error.response["Error"]["Code"] != "NotFoundException":
                raise
            ses.create_email_identity(EmailIdentity=domain)
        return {"Ref": domain}

    def create_configuration_set(self, properties: dict[str, Any]) -> dict[str, str]:
        ses = self.client("sesv2")
        name = properties["Name"]
        if name not in ses.list_configuration_sets().get("ConfigurationSets", []):
            arguments = {k: v for k, v in properties.items() if k != "Name"}
            ses.create_configuration_set(
                ConfigurationSetName=name,
                **_api_arguments(ses, "CreateConfigurationSet", arguments),
            )
        return {"Ref": name}

    # -- outputs ------------------------------------------------------------------------------

    def _resolver(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, str],
        stack_name: str,
        result: Provisioned,
    ) -> Resolver:
        return Resolver(
            template,
            parameters=_with_defaults(template, parameters),
            pseudo={
                "AWS::Region": self._region,
                "AWS::AccountId": self._account,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
                "AWS::StackName": stack_name,
            },
            resources=result.resources,
            exports=result.exports,
        )

    def _service_environment(self, result: Provisioned) -> dict[str, str]:
        """The service addon's outputs, as Copilot injects them: plain values become variables
        named by its rule; a !Ref to a managed policy is attached to the task role instead."""
        service = templates.merged(templates.SERVICE_ADDONS)
        _check_every_type_is_handled(service)
        resolver = Resolver(
            service,
            parameters=_with_defaults(service, {"App": self._app, "Env": self._env, "Name": "api"}),
            pseudo={
                "AWS::Region": self._region,
                "AWS::AccountId": self._account,
                "AWS::Partition": "aws",
            },
            resources={},
            exports=result.exports,
        )
        variables = {}
        for name, output in (service.get("Outputs") or {}).items():
            if _typed_by_copilot(service, output):
                continue
            try:
                variables[templates.copilot_variable_name(name)] = str(
                    resolver.resolve(output["Value"])
                )
            except Unresolvable as error:
                raise RuntimeError(
                    f"service output {name} cannot be resolved locally: {error}"
                ) from error
        return variables


_API_CREATORS: dict[str, Callable[[LocalProvisioner, dict[str, Any]], dict[str, str]]] = {
    "AWS::Cognito::UserPool": LocalProvisioner.create_user_pool,
    "AWS::Cognito::UserPoolClient": LocalProvisioner.create_user_pool_client,
    "AWS::SecretsManager::Secret": LocalProvisioner.create_secret,
    "AWS::DynamoDB::GlobalTable": LocalProvisioner.create_global_table,
    "AWS::SES::EmailIdentity": LocalProvisioner.create_email_identity,
    "AWS::SES::ConfigurationSet": LocalProvisioner.create_configuration_set,
}


def _needed_locally(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The properties the local stack applies: a replica's resource policy admits requests
    through the VPC's endpoint, which does not exist locally (and moto does not enforce it)."""
    properties = json.loads(json.dumps(resource.get("Properties", {})))
    if resource["Type"] == "AWS::DynamoDB::GlobalTable":
        for replica in properties.get("Replicas", []):
            if isinstance(replica, dict):
                replica.pop("ResourcePolicy", None)
    return properties


# Output values that Copilot gives a special meaning when they are exactly !Ref of these types.
_COPILOT_TYPED_OUTPUTS = frozenset(
    {"AWS::IAM::ManagedPolicy", "AWS::SecretsManager::Secret", "AWS::EC2::SecurityGroup"}
)


def _typed_by_copilot(template: Mapping[str, Any], output: Mapping[str, Any]) -> bool:
    value = output.get("Value")
    if not (isinstance(value, dict) and set(value) == {"Ref"}):
        return False
    resource = (template.get("Resources") or {}).get(value["Ref"])
    return bool(resource) and resource["Type"] in _COPILOT_TYPED_OUTPUTS


def _refers_to_absent(template: Mapping[str, Any], value: Any) -> bool:
    """Whether a value needs a resource that the local stack does not create (an export of the
    alarm topic, say): such an export does not exist locally, as nothing local needs it."""
    resources = template.get("Resources") or {}
    return any(
        resources[name]["Type"] in NOT_NEEDED_LOCALLY
        for name in _references(value)
        if name in resources
    )


def _with_defaults(template: Mapping[str, Any], parameters: Mapping[str, str]) -> dict[str, str]:
    """The values given, and every other parameter's default (as CloudFormation would use)."""
    defaults = {
        name: str(spec["Default"])
        for name, spec in (template.get("Parameters") or {}).items()
        if "Default" in spec
    }
    return {**defaults, **parameters}


def resource_types(template: Mapping[str, Any]) -> set[str]:
    return {resource["Type"] for resource in (template.get("Resources") or {}).values()}


def unhandled_types(template: Mapping[str, Any]) -> set[str]:
    handled = CLOUDFORMATION | THROUGH_APIS | set(NOT_NEEDED_LOCALLY)
    return resource_types(template) - handled


def _check_every_type_is_handled(template: Mapping[str, Any]) -> None:
    missing = unhandled_types(template)
    if missing:
        raise RuntimeError(
            "the local stack does not know how to provision "
            + ", ".join(sorted(missing))
            + "; add them to devstack/provision.py (created, or not needed locally and why)"
        )


def for_emulator(resource: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
    """Quirks of moto's CloudFormation. For KMS keys: it wants the key policy as a JSON
    string (real CloudFormation takes either) and tags in the KMS API's TagKey/TagValue form.
    It keeps a list item that is Fn::If's AWS::NoValue branch (as None), so those choices are
    made first. Deletion policies written as intrinsics are resolved first."""
    adjusted = conditions_chosen(json.loads(json.dumps(resource)), resolver)
    # With the AWS::LanguageExtensions transform these may be intrinsics; moto takes strings.
    for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
        if isinstance(adjusted.get(policy), dict):
            adjusted[policy] = resolver.resolve(adjusted[policy])
    properties = adjusted.get("Properties", {})
    if resource["Type"] == "AWS::KMS::Key":
        if isinstance(properties.get("KeyPolicy"), dict):
            properties["KeyPolicy"] = json.dumps(resolver.resolve(properties["KeyPolicy"]))
        properties["Tags"] = [
            {"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in properties.get("Tags", [])
        ]
    if resource["Type"] == "AWS::SSM::Parameter" and isinstance(properties.get("Tags"), dict):
        # CloudFormation takes an SSM parameter's tags as a map; moto wants Key/Value pairs.
        properties["Tags"] = [{"Key": k, "Value": v} for k, v in properties["Tags"].items()]
    return adjusted


def conditions_chosen(value: Any, resolver: Resolver) -> Any:
    """Every Fn::If replaced by the branch its condition picks, AWS::NoValue dropped."""
    if isinstance(value, list):
        items = [conditions_chosen(v, resolver) for v in value]
        return [v for v in items if v != NO_VALUE_REF]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::If"}:
        name, when_true, when_false = value["Fn::If"]
        return conditions_chosen(when_true if resolver.condition(name) else when_false, resolver)
    items = {k: conditions_chosen(v, resolver) for k, v in value.items()}
    return {k: v for k, v in items.items() if v != NO_VALUE_REF}


NO_VALUE_REF = {"Ref": "AWS::NoValue"}


def _references(value: Any) -> set[str]:
    if isinstance(value, list):
        return set().union(*(_references(v) for v in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, argument in value.items():
        if key == "Ref" and isinstance(argument, str):
            found.add(argument)
        elif key == "Fn::GetAtt":
            found.add(argument[0] if isinstance(argument, list) else str(argument).split(".")[0])
        elif key == "Fn::Sub":
            text = argument[0] if isinstance(argument, list) else argument
            found |= {name.split(".")[0] for name in _sub_names(text)}
            if isinstance(argument, list):
                found |= _references(argument[1])
        else:
            found |= _references(argument)
    return found


def _sub_names(text: str) -> set[str]:
    return set(SUB_VARIABLE.findall(text))


def _in_dependency_order(
    template: Mapping[str, Any], types: frozenset[str]
) -> list[tuple[str, dict[str, Any]]]:
    resources = template["Resources"]
    wanted = {k: v for k, v in resources.items() if v["Type"] in types}
    ordered: list[tuple[str, dict[str, Any]]] = []
    while wanted:
        ready = [
            k
            for k, v in wanted.items()
            if not (_references(v.get("Properties", {})) & set(wanted) - {k})
        ]
        if not ready:
            raise RuntimeError(f"circular references among {sorted(wanted)}")
        for logical_id in sorted(ready):
            ordered.append((logical_id, wanted.pop(logical_id)))
    return ordered


def _api_arguments(client: Any, operation: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """The template's properties that the API takes under the same name."""
    accepted = client.meta.service_model.operation_model(operation).input_shape.members
    return {k: v for k, v in properties.items() if k in accepted}


def _paged(client: Any, method: str, key: str, **arguments: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = getattr(client, method)(
            MaxResults=60, **arguments, **({"NextToken": token} if token else {})
        )
        items.extend(page.get(key, []))
        token = page.get("NextToken")
        if not token:
            return items


def _find_user_pool(cognito: Any, name: str) -> str | None:
    for pool in _paged(cognito, "list_user_pools", "UserPools"):
        if pool["Name"] == name:
            return pool["Id"]
    return None


def _generated_secret(secrets: Any, spec: Mapping[str, Any]) -> str:
    options = {
        k: v for k, v in spec.items() if k not in ("SecretStringTemplate", "GenerateStringKey")
    }
    value = secrets.get_random_password(**options)["RandomPassword"]
    if "SecretStringTemplate" in spec:
        document = json.loads(spec["SecretStringTemplate"])
        document[spec["GenerateStringKey"]] = value
        return json.dumps(document)
    return value
