"""What a worker does at start is cheap: the master already read botocore's models."""

from __future__ import annotations

import botocore.loaders

from app.aws import clients as clients_module
from app.aws.clients import AwsClients


def test_a_worker_makes_its_clients_without_reading_a_model(settings, monkeypatch):
    models = botocore.loaders.create_loader()
    monkeypatch.setattr(clients_module, "_MODELS", models)
    reads: list[str] = []
    read_file = models.file_loader.load_file

    def counted(path):
        data = read_file(path)
        if data is not None:  # botocore also looks for optional files that do not exist
            reads.append(path)
        return data

    monkeypatch.setattr(models.file_loader, "load_file", counted)
    aws = AwsClients(settings)  # in the master, before the fork
    assert reads, "the models are read when the app is made"
    reads.clear()
    aws.warm()  # in each worker
    assert reads == []
    assert aws.get("cognito-idp").meta.service_model.service_name == "cognito-idp"
    assert aws.dynamodb.endpoint_url == "https://dynamodb.us-east-1.amazonaws.com/"
