"""Moving an environment deployed by Copilot to the CDK app while it keeps serving, without
losing its data or signing anyone out (docs/deploy.md, "Adopting an environment deployed by
Copilot"):

    python -m cdk.adopt plan    --env prod --assembly cdk/cdk.out > adopt-prod.json
    python -m cdk.adopt retain  --plan adopt-prod.json
    python -m cdk.adopt release --plan adopt-prod.json
    python -m cdk.adopt import  --plan adopt-prod.json
    npx aws-cdk deploy 'prod/*' -c adopting=prod -c copilotApiOrigin=<plan's load_balancer_dns>
    npx aws-cdk deploy 'prod/*'
    python -m cdk.adopt cleanup --plan adopt-prod.json

- copilot.py reads what Copilot deployed;
- describe.py describes a resource as Copilot's stack declared it, for an import;
- plan.py decides what is kept and where, writes the import templates and checks them;
- steps.py changes the account: retain, release, import, cleanup.

The AWS calls use the ambient credentials and region (AWS_ENDPOINT_URL for an emulator)."""
