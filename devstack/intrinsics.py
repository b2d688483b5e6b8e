"""Just enough of CloudFormation's intrinsic functions to read the addon templates' properties
and outputs for the resources the local stack creates itself."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

NO_VALUE = object()
SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class Unresolvable(Exception):
    """The value refers to something the local stack does not have."""


class Resolver:
    # Each function's method: a subclass may add functions or change how one evaluates.
    FUNCTIONS: ClassVar[dict[str, str]] = {
        "Ref": "_ref",
        "Fn::GetAtt": "_get_att",
        "Fn::Sub": "_sub",
        "Fn::Join": "_join",
        "Fn::Select": "_select",
        "Fn::Split": "_split",
        "Fn::If": "_if",
        "Fn::Equals": "_equals",
        "Fn::Not": "_not",
        "Fn::And": "_and",
        "Fn::Or": "_or",
        "Condition": "condition",
        "Fn::ImportValue": "_import",
        "Fn::GetAZs": "_azs",
        "Fn::FindInMap": "_find_in_map",
    }

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        parameters: Mapping[str, str],
        pseudo: Mapping[str, str],
        resources: Mapping[str, Mapping[str, str]],
        exports: Mapping[str, str],
    ):
        """`resources` maps a logical id to {"Ref": physical id, <attribute>: value, ...}."""
        self._template = template
        self._names = {**pseudo, **parameters}
        self._resources = resources
        self._exports = exports
        self._conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            definition = (self._template.get("Conditions") or {}).get(name)
            if definition is None:
                raise Unresolvable(f"no condition {name}")
            self._conditions[name] = bool(self._evaluate(definition))
        return self._conditions[name]

    def resolve(self, value: Any) -> Any:
        result = self._evaluate(value)
        return None if result is NO_VALUE else result

    def _evaluate(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self._evaluate(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            handler = self.FUNCTIONS.get(key)
            if handler is not None:
                return getattr(self, handler)(argument)
        evaluated = {k: self._evaluate(v) for k, v in value.items()}
        return {k: v for k, v in evaluated.items() if v is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self._names:
            return self._names[name]
        if name in self._resources:
            return self._resources[name]["Ref"]
        raise Unresolvable(f"Ref {name}")

    def _get_att(self, argument: list[Any]) -> Any:
        logical_id, attribute = argument[0], self._evaluate(argument[1])
        try:
            return self._resources[logical_id][attribute]
        except KeyError:
            raise Unresolvable(f"GetAtt {logical_id}.{attribute}") from None

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], {k: self._evaluate(v) for k, v in argument[1].items()}
        else:
            text, variables = argument, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                return str(self._get_att(name.split(".", 1)))
            return str(self._ref(name))

        return SUB_VARIABLE.sub(replace, text).replace("${!", "${")

    def _join(self, argument: list[Any]) -> Any:
        return str(argument[0]).join(str(v) for v in self._evaluate(argument[1]))

    def _select(self, argument: list[Any]) -> Any:
        return self._evaluate(argument[1])[int(self._evaluate(argument[0]))]

    def _split(self, argument: list[Any]) -> Any:
        return str(self._evaluate(argument[1])).split(argument[0])

    def _if(self, argument: list[Any]) -> Any:
        name, when_true, when_false = argument
        return self._evaluate(when_true if self.condition(name) else when_false)

    def _equals(self, argument: list[Any]) -> bool:
        return self._evaluate(argument[0]) == self._evaluate(argument[1])

    def _not(self, argument: list[Any]) -> bool:
        return not self._evaluate(argument[0])

    def _and(self, argument: list[Any]) -> bool:
        return all(self._evaluate(v) for v in argument)

    def _or(self, argument: list[Any]) -> bool:
        return any(self._evaluate(v) for v in argument)

    def _azs(self, argument: Any) -> list[str]:
        """Three zones of the region (AWS gives at least three in every region used here)."""
        region = self._evaluate(argument) or self._names.get("AWS::Region")
        if not region:
            raise Unresolvable("Fn::GetAZs without a region")
        return [f"{region}{letter}" for letter in "abc"]

    def _find_in_map(self, argument: list[Any]) -> Any:
        name, first, second = (self._evaluate(a) for a in argument[:3])
        try:
            return self._template["Mappings"][name][first][second]
        except KeyError:
            raise Unresolvable(f"Fn::FindInMap {name}.{first}.{second}") from None

    def _import(self, argument: Any) -> str:
        name = self._evaluate(argument)
        if name not in self._exports:
            raise Unresolvable(f"ImportValue {name}")
        return self._exports[name]
