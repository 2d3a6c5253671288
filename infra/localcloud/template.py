"""Read a SAM template and resolve its intrinsic functions for the local cloud.

The template is the only resource list: everything the local cloud creates comes from here. SAM
resources are read directly (no SAM -> CloudFormation translation): the local cloud only needs
names, properties and events, and physical names are chosen deterministically (`<stack>-<id>`) so
every Ref/GetAtt resolves before anything is created.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
#: Physical names are `<stack>-<LogicalId>`; the template's `Metadata: LocalCloud: StackName`
#: or `LocalCloud(stack_name=)` choose another stack name.
DEFAULT_STACK_NAME = "local"
#: The template-level Metadata key the local cloud reads (AWS ignores it): local parameter values,
#: state machine substitutions, the stack name.
METADATA_KEY = "LocalCloud"

_INTRINSIC_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "If": "Fn::If",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "Equals": "Fn::Equals",
    "Not": "Fn::Not",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "FindInMap": "Fn::FindInMap",
    "Base64": "Fn::Base64",
    "GetAZs": "Fn::GetAZs",
    "ImportValue": "Fn::ImportValue",
    "Cidr": "Fn::Cidr",
    "Transform": "Fn::Transform",
    "ToJsonString": "Fn::ToJsonString",
    "Length": "Fn::Length",
}


class TemplateError(Exception):
    """The template uses something the local cloud cannot resolve."""


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()


class _CfnLoader(yaml.SafeLoader):
    """A SafeLoader that turns CloudFormation short tags (!Ref, !GetAtt, ...) into dicts."""


def _make_constructor(full_name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if full_name == "Fn::GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {full_name: value}

    return construct


for _tag, _full in _INTRINSIC_TAGS.items():
    _CfnLoader.add_constructor(f"!{_tag}", _make_constructor(_full))


def load_yaml(text: str) -> dict[str, Any]:
    """Parse template text (YAML or JSON) with CloudFormation short tags."""
    data = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(data, dict):
        raise TemplateError("la plantilla no es un mapa YAML")
    return data


def _coerce_param(value: Any, ptype: str) -> Any:
    if ptype == "CommaDelimitedList" or ptype.startswith("List<"):
        return [v.strip() for v in str(value).split(",")] if value != "" else []
    return str(value)


@dataclass
class Template:
    """A loaded template with parameters and conditions evaluated."""

    path: Path
    body: dict[str, Any]
    parameters: dict[str, Any]
    region: str = REGION
    account_id: str = ACCOUNT_ID
    stack_name: str = DEFAULT_STACK_NAME
    conditions: dict[str, bool] = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def all_resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.body.get("Resources") or {})

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """Resources whose Condition (if any) holds."""
        out = {}
        for logical_id, res in self.all_resources.items():
            cond = res.get("Condition")
            if cond is not None and not self.conditions.get(cond, False):
                continue
            out[logical_id] = res
        return out

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") in types}

    def globals_for(self, section: str) -> dict[str, Any]:
        """The template's `Globals: <section>` (Function, HttpApi, ...)."""
        return dict((self.body.get("Globals") or {}).get(section) or {})


@dataclass(frozen=True)
class LocalMetadata:
    """The template's `Metadata: LocalCloud` section: values for a run on one machine.

    ```yaml
    Metadata:
      LocalCloud:
        StackName: shop                 # physical names <StackName>-<LogicalId>
        Parameters:                     # parameter values; ${Local::GatewayUrl} = the gateway
          PublicBaseUrl: "${Local::GatewayUrl}"
        DefinitionSubstitutions:        # state machine substitutions (e.g. shorter waits)
          DeadlineSeconds: "120"
    ```
    """

    stack_name: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    substitutions: dict[str, str] = field(default_factory=dict)


def read_local_metadata(path: str | Path) -> LocalMetadata:
    body = load_yaml(Path(path).read_text(encoding="utf-8"))
    section = (body.get("Metadata") or {}).get(METADATA_KEY) or {}
    unknown = set(section) - {"StackName", "Parameters", "DefinitionSubstitutions"}
    if unknown:
        raise TemplateError(f"Metadata {METADATA_KEY}: claves desconocidas {sorted(unknown)}")
    name = section.get("StackName")
    return LocalMetadata(
        stack_name=str(name) if name else None,
        parameters={k: str(v) for k, v in (section.get("Parameters") or {}).items()},
        substitutions={
            k: str(v) for k, v in (section.get("DefinitionSubstitutions") or {}).items()
        },
    )


def load_template(
    path: str | Path,
    parameter_overrides: Mapping[str, Any] | None = None,
    *,
    region: str = REGION,
    account_id: str = ACCOUNT_ID,
    stack_name: str = DEFAULT_STACK_NAME,
) -> Template:
    """Load a template, apply parameter defaults/overrides and evaluate its Conditions."""
    path = Path(path).resolve()
    body = load_yaml(path.read_text(encoding="utf-8"))
    overrides = dict(parameter_overrides or {})
    params: dict[str, Any] = {}
    for name, spec in (body.get("Parameters") or {}).items():
        ptype = str((spec or {}).get("Type", "String"))
        if name in overrides:
            params[name] = _coerce_param(overrides.pop(name), ptype)
        elif "Default" in (spec or {}):
            params[name] = _coerce_param(spec["Default"], ptype)
        else:
            raise TemplateError(f"el parámetro {name} no tiene valor por defecto ni override")
        allowed = (spec or {}).get("AllowedValues")
        if allowed and params[name] not in [str(a) for a in allowed]:
            raise TemplateError(f"el parámetro {name}={params[name]!r} no está en AllowedValues")
    if overrides:
        raise TemplateError(f"parámetros desconocidos: {', '.join(sorted(overrides))}")
    tpl = Template(path, body, params, region, account_id, stack_name)
    resolver = Resolver(tpl, {})
    for name in body.get("Conditions") or {}:
        tpl.conditions[name] = resolver.condition(name)
    return tpl


_SUB_VAR = re.compile(r"\$\{([^}]+)\}")


class Resolver:
    """Evaluates intrinsic functions against parameters, pseudo parameters and resource attrs.

    `attributes[logical_id]` maps "Ref" and attribute names (Arn, QueueName, ...) to values.
    """

    def __init__(self, template: Template, attributes: dict[str, dict[str, Any]]):
        self.template = template
        self.attributes = attributes
        self._evaluating: set[str] = set()

    def pseudo(self) -> dict[str, Any]:
        t = self.template
        return {
            "AWS::Region": t.region,
            "AWS::AccountId": t.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": t.stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{t.region}:{t.account_id}:stack/{t.stack_name}/local"
            ),
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }

    # ------------------------------------------------------------------ conditions
    def condition(self, name: str) -> bool:
        if name in self.template.conditions:
            return self.template.conditions[name]
        conditions = self.template.body.get("Conditions") or {}
        if name not in conditions:
            raise TemplateError(f"condición desconocida: {name}")
        if name in self._evaluating:
            raise TemplateError(f"condición circular: {name}")
        self._evaluating.add(name)
        try:
            value = bool(self.resolve(conditions[name]))
        finally:
            self._evaluating.discard(name)
        self.template.conditions[name] = value
        return value

    # ------------------------------------------------------------------ values
    def ref(self, name: str) -> Any:
        pseudo = self.pseudo()
        if name in pseudo:
            return pseudo[name]
        if name in self.template.parameters:
            return self.template.parameters[name]
        if name in self.attributes and "Ref" in self.attributes[name]:
            return self.attributes[name]["Ref"]
        raise TemplateError(f"Ref sin resolver: {name}")

    def get_att(self, logical_id: str, attr: str) -> Any:
        attrs = self.attributes.get(logical_id)
        if attrs is None:
            raise TemplateError(f"GetAtt de un recurso desconocido: {logical_id}.{attr}")
        if attr not in attrs:
            raise TemplateError(f"GetAtt sin soporte local: {logical_id}.{attr}")
        return attrs[attr]

    def sub(self, template: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("!"):
                return "${" + expr[1:] + "}"
            if expr in variables:
                return str(variables[expr])
            if "." in expr and not expr.startswith("AWS::"):
                logical_id, attr = expr.split(".", 1)
                return str(self.get_att(logical_id, attr))
            return str(self.ref(expr))

        return _SUB_VAR.sub(replace, template)

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic in `value`; AWS::NoValue entries are dropped."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(str(arg))
            if key == "Condition" and isinstance(arg, str):
                return self.condition(arg)
            if key.startswith("Fn::"):
                return self._fn(key, arg)
        out = {}
        for k, v in value.items():
            r = self.resolve(v)
            if r is not NO_VALUE:
                out[k] = r
        return out

    def _fn(self, key: str, arg: Any) -> Any:
        if key == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else list(arg)
            return self.get_att(str(parts[0]), str(self.resolve(parts[1])))
        if key == "Fn::Sub":
            if isinstance(arg, str):
                return self.sub(arg, {})
            text, variables = arg[0], self.resolve(arg[1])
            return self.sub(text, variables)
        if key == "Fn::If":
            cond, yes, no = arg
            return self.resolve(yes if self.condition(cond) else no)
        if key == "Fn::Join":
            sep, items = arg[0], self.resolve(arg[1])
            return str(sep).join(str(i) for i in items)
        if key == "Fn::Select":
            index, items = self.resolve(arg[0]), self.resolve(arg[1])
            return items[int(index)]
        if key == "Fn::Split":
            sep, text = arg[0], self.resolve(arg[1])
            return str(text).split(str(sep))
        if key == "Fn::Equals":
            a, b = (self.resolve(x) for x in arg)
            return str(a) == str(b)
        if key == "Fn::Not":
            return not self._truth(arg[0])
        if key == "Fn::And":
            return all(self._truth(x) for x in arg)
        if key == "Fn::Or":
            return any(self._truth(x) for x in arg)
        if key == "Fn::FindInMap":
            name, top, second = (self.resolve(x) for x in arg[:3])
            return self.template.body["Mappings"][name][top][second]
        if key == "Fn::Base64":
            return base64.b64encode(str(self.resolve(arg)).encode()).decode()
        if key == "Fn::GetAZs":
            region = self.template.region
            return [f"{region}a", f"{region}b", f"{region}c"]
        if key == "Fn::ToJsonString":
            return json.dumps(self.resolve(arg), separators=(",", ":"))
        if key == "Fn::Length":
            return len(self.resolve(arg))
        raise TemplateError(f"función intrínseca sin soporte local: {key}")

    def _truth(self, value: Any) -> bool:
        if isinstance(value, dict) and set(value) == {"Condition"}:
            return self.condition(value["Condition"])
        return bool(self.resolve(value))


#: The Globals section that applies to each resource type (SAM's Globals).
GLOBALS_SECTIONS = {"AWS::Serverless::Function": "Function", "AWS::Serverless::HttpApi": "HttpApi"}


def merged_properties(template: Template, resource: dict[str, Any]) -> dict[str, Any]:
    """A resource's properties with its type's Globals section merged in the way SAM does it
    (samtranslator's globals plugin): maps merge key by key, recursively (Environment.Variables,
    RouteSettings); lists concatenate globals first (Layers too) except Architectures; scalars and
    values of different kinds are the resource's own."""
    section = GLOBALS_SECTIONS.get(str(resource.get("Type")))
    own = resource.get("Properties") or {}
    if section is None:
        return copy.deepcopy(dict(own))
    merged = _merge_globals(template.globals_for(section), own, "")
    return dict(merged)


def _merge_globals(global_value: Any, own: Any, key: str) -> Any:
    if isinstance(global_value, dict) and isinstance(own, dict):
        out = copy.deepcopy(global_value)
        for name, value in own.items():
            out[name] = _merge_globals(out[name], value, name) if name in out else value
        return out
    if isinstance(global_value, list) and isinstance(own, list) and key != "Architectures":
        return copy.deepcopy(global_value) + copy.deepcopy(own)
    return copy.deepcopy(own)
