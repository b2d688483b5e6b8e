"""The Team Tasks system as an AWS CDK v2 app: the way off Copilot (docs/deploy.md, "Deploy with
the CDK"). The same stacks as the Copilot path, per environment: the network and the us-east-1
web ACL (addons/ included as they are), the deployment roles, the environment (load balancer,
distribution, cluster, and the environment addons included as they are) and the api service
(with the service addons); and the release pipeline.

    python -m cdk.app                     # synthesises into cdk/cdk.out, offline
    cd cdk && npx aws-cdk deploy ...      # deploys (the CLI is only needed here)
"""
