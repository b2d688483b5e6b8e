"""AWS's own rules for CloudFormation templates, which neither cfn-lint nor the rendered-stack
model knows: what AWS refuses although the templates agree with each other.

Each check takes a template as a dict (CloudFormation's JSON form, short-form tags already
expanded: devstack.templates.load) and the concrete values of one environment, and returns a
list of problems (strings; empty passes). They know nothing of this repository's layout, so
any template can be held to them: the addons, the edge, network and reaper stacks, the stacks
Copilot renders (tests/infra/rendered), and a CDK app's synthesised templates.

    from tests.infra.aws_rules import Concrete, environments, name_problems, transform_problems
    from tests.infra.aws_rules import quotas
    values = Concrete(env="prod", region="eu-west-1", parameters={"App": "teamtasks", ...})
    name_problems(template, values)      # every named resource against AWS's name limits
    transform_problems(template)         # intrinsics only a transform makes legal
    asked = quotas.demand(quotas.existing([(name, template, values), ...]))
    quotas.quota_problems(asked)         # against a new account's quotas (quotas.QUOTAS)

`environments()` gives the concrete values of every environment a check should run over; a
CDK app's synthesised template for environment E is checked with Concrete(env=E, ...) and the
parameters its stack is deployed with.

- concrete.py: an environment's concrete values, and the environments every check runs over
  (dev, staging, prod, prod's standby and the longest feature environment name);
- names.py: name limits, from the resource schemas cfn-lint ships plus the limits AWS documents
  and the schemas omit;
- transforms.py: AWS::LanguageExtensions and AWS::Serverless, where a template needs them;
- quotas.py: a new account's quotas the deploy depends on, and what the templates ask of them;
- policies.py: a small IAM policy evaluator, to check what a role may call;
- copilot_calls.py: what Copilot's commands call with the caller's own credentials.
"""

from tests.infra.aws_rules.concrete import Concrete, environments, resolver
from tests.infra.aws_rules.names import name_problems
from tests.infra.aws_rules.transforms import transform_problems

__all__ = ["Concrete", "environments", "name_problems", "resolver", "transform_problems"]
