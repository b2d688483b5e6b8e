"""The environment naming rules (ops/environments.py) and the templates' conditions that read the
same rules from the name: every addon file's `Disposable`, the table's `OwnsTheTable`, the
backup's conditions. A template that treats a name differently from the scripts fails here."""

from __future__ import annotations

import pytest

from ops import environments
from tests.infra import support

NAMES = ["dev", "staging", "prod", "prod-eu-central-1", "feat-login"]
FILES = sorted(support.templates.template_files(support.ENVIRONMENT_ADDONS))


@pytest.mark.parametrize("env", NAMES)
def test_every_file_calls_the_same_environments_disposable(env):
    seen = 0
    for path in FILES:
        template = support.load_yaml_cfn(path)
        if "Disposable" not in (template.get("Conditions") or {}):
            continue
        seen += 1
        condition = support.resolver(template, env).condition("Disposable")
        assert condition is environments.is_disposable(env), (path.name, env)
    assert seen >= 5


@pytest.mark.parametrize("env", NAMES)
def test_only_prods_standby_uses_another_environments_table(env):
    merged = support.merged(support.ENVIRONMENT_ADDONS)
    owns = support.resolver(merged, env).condition("OwnsTheTable")
    assert owns is (environments.primary_of(env) == env)
    assert (environments.standby_region(env) is not None) is (not owns)


@pytest.mark.parametrize("name", ["feat", "qa", "Prod", "prod-moon", "dev_1", "prod-eu-central"])
def test_names_outside_the_convention_are_refused(name):
    with pytest.raises(environments.BadEnvironmentName):
        environments.family(name)
        environments.standby_region(name)


def test_the_manifests_follow_the_convention():
    for path in (support.COPILOT / "environments").glob("*/manifest.yml"):
        name = support.load_yaml(path)["name"]
        assert name == path.parent.name
        environments.family(name)
    assert environments.standby_region("prod-eu-central-1") == "eu-central-1"
    assert environments.network_env("feat-login") == "dev"
