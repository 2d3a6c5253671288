"""template.yaml is the one source of truth: nothing here reaches AWS, so it is checked offline."""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "template.yaml"


def _load() -> dict[str, Any]:
    from cfnlint.decode import cfn_yaml

    return cfn_yaml.load(str(TEMPLATE))


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return _load()


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_cfn_lint_reports_nothing() -> None:
    from cfnlint.api import lint_all

    matches = lint_all(TEMPLATE.read_text(encoding="utf-8"))
    # Errors and warnings fail; informational suggestions (I...) do not.
    assert [str(m) for m in matches if m.rule.id[0] in "EW"] == []


def test_sam_translator_transforms_it_offline(template: dict[str, Any]) -> None:
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform

    class OfflinePolicyLoader:
        """SAM asks IAM for managed policy ARNs; offline every name maps to its standard ARN."""

        def load(self) -> dict[str, str]:
            return {}

    doc = copy.deepcopy(template)
    for res in doc["Resources"].values():
        props = res.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://postventa-artifacts/{props[key]}"
    try:
        cfn = transform(doc, {}, OfflinePolicyLoader())
    except InvalidDocumentException as exc:  # pragma: no cover - the message is the point
        pytest.fail("; ".join(str(e) for e in exc.causes))
    kinds = {r["Type"] for r in cfn["Resources"].values()}
    assert "AWS::Lambda::Function" in kinds
    assert "AWS::StepFunctions::StateMachine" in kinds
    assert "AWS::Lambda::EventSourceMapping" in kinds
    assert not any(t.startswith("AWS::Serverless::") for t in kinds)


def _supported_pythons() -> set[str]:
    """The minors pyproject's requires-python admits (3.11 to 3.13 today)."""
    import tomllib

    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    admitted = SpecifierSet(project["requires-python"])
    return {f"3.{minor}" for minor in range(8, 20) if f"3.{minor}" in admitted}


def test_one_runtime_for_every_function_and_layer_and_the_project_supports_it(
    template: dict[str, Any],
) -> None:
    runtime = template["Globals"]["Function"]["Runtime"]
    version = runtime.removeprefix("python")
    assert version in _supported_pythons()
    # Amazon Linux 2023 runtimes only (python3.12 and later): the pinned pillow and cryptography
    # wheels need a newer glibc than python3.11's Amazon Linux 2 has (decision record 0010).
    assert tuple(map(int, version.split("."))) >= (3, 12)
    for name, fn in _resources(template, "AWS::Serverless::Function").items():
        assert fn["Properties"].get("Runtime", runtime) == runtime, name
    layers = _resources(template, "AWS::Serverless::LayerVersion")
    assert layers
    for name, layer in layers.items():
        assert layer["Properties"]["CompatibleRuntimes"] == [runtime], name
        assert layer.get("Metadata", {}).get("BuildMethod") in (runtime, "makefile"), name


def test_the_cfdi_layer_downloads_wheels_for_the_template_runtime(template: dict[str, Any]) -> None:
    version = template["Globals"]["Function"]["Runtime"].removeprefix("python")
    makefile = (ROOT / "layers" / "cfdi" / "Makefile").read_text(encoding="utf-8")
    assert re.findall(r"^LAMBDA_PYTHON = (\S+)$", makefile, re.M) == [version]


def test_every_function_entry_point_exists_and_defines_its_handler(
    template: dict[str, Any],
) -> None:
    functions = _resources(template, "AWS::Serverless::Function")
    assert functions
    for name, fn in functions.items():
        props = fn["Properties"]
        module, func = props["Handler"].rsplit(".", 1)
        source = ROOT / props["CodeUri"] / f"{module.replace('.', '/')}.py"
        assert source.is_file(), f"{name}: {source} missing"
        defined = {
            n.name if isinstance(n, ast.FunctionDef) else t.id
            for n in ast.parse(source.read_text(encoding="utf-8")).body
            for t in ([n] if isinstance(n, ast.FunctionDef) else getattr(n, "targets", []))
            if isinstance(n, ast.FunctionDef) or isinstance(t, ast.Name)
        }
        assert func in defined, f"{name}: {func} not defined in {source}"


def test_every_sqs_trigger_reports_partial_batch_failures(template: dict[str, Any]) -> None:
    found = 0
    for name, fn in _resources(template, "AWS::Serverless::Function").items():
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                found += 1
                types = event["Properties"].get("FunctionResponseTypes", [])
                assert "ReportBatchItemFailures" in types, name
    assert found >= 1


def test_every_consumed_queue_has_a_dead_letter_queue(template: dict[str, Any]) -> None:
    queues = _resources(template, "AWS::SQS::Queue")
    dlqs = {
        q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in queues.values()
        if "RedrivePolicy" in q.get("Properties", {})
    }
    for name in queues:
        if name in dlqs:
            continue
        redrive = queues[name]["Properties"].get("RedrivePolicy")
        assert redrive, f"{name} has no DLQ"
        assert int(redrive["maxReceiveCount"]) >= 1


def test_no_function_gets_full_access_policies(template: dict[str, Any]) -> None:
    text = json.dumps(template)
    assert "FullAccess" not in text
    for name, fn in _resources(template, "AWS::Serverless::Function").items():
        for policy in fn["Properties"].get("Policies", []):
            for stmt in policy.get("Statement", []) if isinstance(policy, dict) else []:
                actions = stmt["Action"] if isinstance(stmt["Action"], list) else [stmt["Action"]]
                assert not any(a == "*" or a.endswith(":*") for a in actions), name
                assert stmt.get("Resource") != "*", name


def test_state_machine_definitions_exist_and_every_substitution_is_provided(
    template: dict[str, Any],
) -> None:
    machines = _resources(template, "AWS::Serverless::StateMachine")
    assert machines
    for name, sm in machines.items():
        props = sm["Properties"]
        path = ROOT / props["DefinitionUri"]
        text = path.read_text(encoding="utf-8")
        json.loads(text)  # valid JSON
        used = set(re.findall(r"\$\{(\w+)\}", text))
        provided = set(props.get("DefinitionSubstitutions", {}))
        assert used <= provided, f"{name}: missing substitutions {used - provided}"


def test_table_keys_are_generic_strings_so_tenant_can_lead_every_partition_key(
    template: dict[str, Any],
) -> None:
    for table in _resources(template, "AWS::DynamoDB::Table").values():
        attrs = {
            a["AttributeName"]: a["AttributeType"]
            for a in table["Properties"]["AttributeDefinitions"]
        }
        for key in table["Properties"]["KeySchema"]:
            assert attrs[key["AttributeName"]] == "S"
