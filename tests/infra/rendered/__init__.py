"""A model of the CloudFormation stacks Copilot renders for this repository, built from Copilot's
own templates (aws/copilot-cli, internal/pkg/template/templates at v1.33.2, COPILOT_VERSION: the
version the pipeline's build and the reaper install, and docs/deploy.md's; the snapshot's five
later commits change only go.mod): the environment stack and the Load Balanced Web Service stack,
with the merged addons as their nested stacks and the overrides (YAML patches) applied as Copilot
applies them.

The model is the part of Copilot's output that the repository depends on: every resource, logical
id, parameter, condition, output and export that the addons, the patches, the manifests or the
scripts touch, and the wiring between them (task role, task definition variables, target group,
service, listener rules, the CDN distribution, the nested addons stack with addons.parameters.yml
rendered into it). docs/deploy.md lists what it covers and what it leaves out.

    deployment = render("prod")
    deployment.stacks        # every stack CloudFormation would deploy, nested ones included
    deployment.stack("environment").template

Layout, so that a new piece of Copilot's output has one place to go:
- manifests.py: the manifests as Copilot reads them (interpolation, per-environment merge);
- environment.py / service.py: the two stack builders, one function per Copilot partial;
- yamlpatch.py: Copilot's YAML patch overrides (add, remove, replace);
- analysis.py: the checks the tests run on any rendered deployment.
"""

from tests.infra.rendered.model import Deployment, Scenario, Stack, render
from tests.infra.rendered.version import COPILOT_VERSION

__all__ = ["COPILOT_VERSION", "Deployment", "Scenario", "Stack", "render"]
