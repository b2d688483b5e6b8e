"""AWS clients and the adapters to AWS services other than DynamoDB (Cognito's user directory,
Secrets Manager's signing keys)."""
