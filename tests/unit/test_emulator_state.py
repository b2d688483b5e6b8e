"""The emulator's state survives its crash (devstack/emulator_state.py): every backend that
holds anything is saved and comes back, the ones moto builds with lambdas included."""

from __future__ import annotations

import boto3
from moto import mock_aws

from devstack import emulator_state

REGION = "eu-west-1"


def _client(service: str):
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_what_the_services_acknowledged_comes_back_after_a_save_and_restore(tmp_path):
    state = tmp_path / "emulator.state"
    with mock_aws():
        ssm, dynamodb = _client("ssm"), _client("dynamodb")
        # SSM keeps its tags in a defaultdict built with a lambda, which pickle cannot name.
        ssm.put_parameter(Name="/teamtasks/flag", Value="on", Type="String")
        ssm.add_tags_to_resource(
            ResourceType="Parameter",
            ResourceId="/teamtasks/flag",
            Tags=[{"Key": "k", "Value": "v"}],
        )
        dynamodb.create_table(
            TableName="tasks",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.put_item(TableName="tasks", Item={"PK": {"S": "acknowledged"}})
        emulator_state.save(state)

        ssm.delete_parameter(Name="/teamtasks/flag")
        dynamodb.delete_table(TableName="tasks")
        assert emulator_state.restore(state) >= 2

        assert ssm.get_parameter(Name="/teamtasks/flag")["Parameter"]["Value"] == "on"
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/teamtasks/flag")
        assert tags["TagList"] == [{"Key": "k", "Value": "v"}]
        item = dynamodb.get_item(TableName="tasks", Key={"PK": {"S": "acknowledged"}})
        assert item["Item"] == {"PK": {"S": "acknowledged"}}
        # A tag on a resource never tagged before still works: the factory came back too.
        ssm.put_parameter(Name="/teamtasks/other", Value="x", Type="String")
        ssm.add_tags_to_resource(
            ResourceType="Parameter",
            ResourceId="/teamtasks/other",
            Tags=[{"Key": "a", "Value": "b"}],
        )
