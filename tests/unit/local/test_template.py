"""Template loading: CloudFormation short tags and intrinsic resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcloud.provision import assign_attributes, build_stack
from localcloud.template import (
    NO_VALUE,
    Resolver,
    TemplateError,
    load_template,
    load_yaml,
    merged_properties,
    read_local_metadata,
)

BASIC = Path(__file__).resolve().parents[2] / "fixtures" / "templates" / "basic" / "template.yaml"


def test_short_tags_become_intrinsic_dicts() -> None:
    doc = load_yaml(
        "A: !Ref X\nB: !GetAtt Q.Arn\nC: !Sub 'x-${Y}'\nD: !If [C1, a, b]\n"
        "E: !Join [',', [!Ref X, b]]\nF: !Select [1, !Split [',', 'a,b']]\n"
        "G: !Not [!Equals [a, b]]\n"
    )
    assert doc["A"] == {"Ref": "X"}
    assert doc["B"] == {"Fn::GetAtt": ["Q", "Arn"]}
    assert doc["C"] == {"Fn::Sub": "x-${Y}"}
    assert doc["D"] == {"Fn::If": ["C1", "a", "b"]}
    assert doc["E"] == {"Fn::Join": [",", [{"Ref": "X"}, "b"]]}
    assert doc["F"] == {"Fn::Select": [1, {"Fn::Split": [",", "a,b"]}]}
    assert doc["G"] == {"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}


def _resolver(tmp_path: Path, text: str, **overrides: str) -> Resolver:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    tpl = load_template(path, overrides)
    return Resolver(tpl, {"Q": {"Ref": "https://q/url", "Arn": "arn:q", "QueueName": "q"}})


TPL = """
Parameters:
  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Names: {Type: CommaDelimitedList, Default: "a,b,c"}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [{Condition: IsProd}]
  Both: !And [{Condition: NotProd}, !Equals [x, x]]
Resources: {}
"""


def test_intrinsics_resolve_against_parameters_pseudo_params_and_attributes(
    tmp_path: Path,
) -> None:
    r = _resolver(tmp_path, TPL)
    assert r.resolve({"Ref": "Stage"}) == "dev"
    assert r.resolve({"Fn::Sub": "${Q.QueueName}-${Stage}-${AWS::Region}-${!Literal}"}) == (
        "q-dev-us-east-1-${Literal}"
    )
    assert r.resolve({"Fn::Sub": ["${A}/${Q}", {"A": {"Ref": "AWS::AccountId"}}]}) == (
        "123456789012/https://q/url"
    )
    assert r.resolve({"Fn::GetAtt": ["Q", "Arn"]}) == "arn:q"
    assert r.resolve({"Fn::Select": [2, {"Ref": "Names"}]}) == "c"
    assert r.resolve({"Fn::Join": ["-", [{"Ref": "AWS::Partition"}, "x"]]}) == "aws-x"
    assert r.resolve({"Fn::If": ["IsProd", "p", "d"]}) == "d"
    assert r.resolve({"Fn::If": ["Both", "yes", "no"]}) == "yes"
    assert r.resolve({"a": {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]}, "b": 2}) == {"b": 2}
    assert r.resolve([{"Ref": "AWS::NoValue"}, 1]) == [1]
    assert r.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


def test_parameter_overrides_flip_conditions(tmp_path: Path) -> None:
    r = _resolver(tmp_path, TPL, Stage="prod")
    assert r.template.conditions == {"IsProd": True, "NotProd": False, "Both": False}
    assert r.resolve({"Fn::If": ["IsProd", "p", "d"]}) == "p"


def test_bad_parameters_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="AllowedValues"):
        _resolver(tmp_path, TPL, Stage="qa")
    with pytest.raises(TemplateError, match="desconocidos"):
        _resolver(tmp_path, TPL, Nope="1")


def test_unknown_references_fail_loudly(tmp_path: Path) -> None:
    r = _resolver(tmp_path, TPL)
    with pytest.raises(TemplateError):
        r.resolve({"Ref": "Missing"})
    with pytest.raises(TemplateError):
        r.resolve({"Fn::GetAtt": ["Q", "Nope"]})


def test_function_environment_is_globals_plus_its_own_resolved() -> None:
    tpl = load_template(BASIC, {"PublicUrl": "http://127.0.0.1:9"})
    props = merged_properties(tpl, tpl.resources["HttpFunction"])
    assert set(props["Environment"]["Variables"]) >= {"TABLE_NAME", "WORK_QUEUE_URL"}
    stack = build_stack(tpl, assign_attributes(tpl, "http://moto:1"))
    http_env = stack.functions["HttpFunction"].environment
    worker_env = stack.functions["WorkerFunction"].environment
    assert http_env["WORK_QUEUE_URL"] == "http://moto:1/123456789012/local-WorkQueue"
    assert "WORK_QUEUE_URL" not in worker_env
    assert worker_env["TABLE_NAME"] == "local-Table"
    assert worker_env["BUS_NAME"] == "basic-test"
    assert worker_env["PUBLIC_URL"] == "http://127.0.0.1:9"
    assert stack.functions["WorkerFunction"].timeout == 10


def test_condition_false_resources_are_skipped_and_conditional_values_follow() -> None:
    tpl = load_template(BASIC)
    assert "ProdOnlyQueue" not in tpl.resources
    stack = build_stack(tpl, assign_attributes(tpl, "http://moto:1"))
    assert stack.functions["TickFunction"].environment["PUBLIC_URL"] == (
        "https://httpapi.execute-api.us-east-1.amazonaws.com"
    )
    assert "ProdOnlyQueue" in load_template(BASIC, {"Stage": "prod"}).resources


def test_events_become_routes_sources_schedules_and_substituted_definitions() -> None:
    tpl = load_template(BASIC, {"WaitSeconds": "5"})
    stack = build_stack(tpl, assign_attributes(tpl, "http://moto:1"))
    assert {r.route_key for r in stack.routes} == {
        "GET /hello/{name}",
        "POST /echo",
        "GET /boom",
        "ANY /files/{proxy+}",
    }
    (source,) = stack.sqs_sources
    assert source.function == "WorkerFunction" and source.report_batch_item_failures
    assert source.queue_arn == "arn:aws:sqs:us-east-1:123456789012:local-WorkQueue"
    assert stack.schedules["TickFunctionEveryMinute"].expression == "rate(1 minute)"
    (rule,) = stack.pattern_rules
    assert rule.event_bus == "basic-test" and rule.pattern["source"] == ["test.app"]
    definition = stack.state_machines["Flow"].definition
    assert '"Seconds": 5,' in definition
    assert "function:local-TaskFunction" in definition and "${" not in definition


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path


def test_a_layer_is_its_python_dir_when_prebuilt_else_its_content_uri(tmp_path: Path) -> None:
    (tmp_path / "built" / "python").mkdir(parents=True)
    (tmp_path / "source").mkdir()
    (tmp_path / "fn").mkdir()
    path = _write(
        tmp_path,
        """
Globals:
  Function: {Runtime: python3.11, Handler: app.handler, Layers: [!Ref Built]}
Resources:
  Built: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: built}}
  Source: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: source}}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: fn, Layers: [!Ref Source]}
""",
    )
    tpl = load_template(path)
    stack = build_stack(tpl, assign_attributes(tpl, "http://moto:1"))
    # Globals' layers first, then the function's own, as SAM merges lists
    assert stack.functions["Fn"].layers == (tmp_path / "built" / "python", tmp_path / "source")


def test_basic_template_function_gets_its_layer_directory() -> None:
    tpl = load_template(BASIC)
    stack = build_stack(tpl, assign_attributes(tpl, "http://moto:1"))
    assert stack.functions["TaskFunction"].layers == (BASIC.parent / "task_layer",)
    assert stack.functions["HttpFunction"].layers == ()


def test_local_metadata_gives_stack_name_parameters_and_substitutions(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
Metadata:
  LocalCloud:
    StackName: tienda
    Parameters: {Url: "${Local::GatewayUrl}", Port: 8080}
    DefinitionSubstitutions: {WaitSeconds: 5}
Resources: {}
""",
    )
    meta = read_local_metadata(path)
    assert meta.stack_name == "tienda"
    assert meta.parameters == {"Url": "${Local::GatewayUrl}", "Port": "8080"}
    assert meta.substitutions == {"WaitSeconds": "5"}
    assert read_local_metadata(BASIC).stack_name is None  # physical names then use "local"


def test_unknown_local_metadata_keys_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "Metadata:\n  LocalCloud:\n    Parametres: {A: b}\nResources: {}\n")
    with pytest.raises(TemplateError, match="Parametres"):
        read_local_metadata(path)


def test_a_resource_type_the_local_cloud_does_not_run_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n")
    with pytest.raises(TemplateError, match="Topic: recursos AWS::SNS::Topic sin soporte"):
        assign_attributes(load_template(path), "http://moto:1")


def test_a_function_event_the_local_cloud_does_not_serve_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "fn").mkdir()
    path = _write(
        tmp_path,
        """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      Handler: app.handler
      Events:
        Changes: {Type: DynamoDB, Properties: {Stream: arn:stream, StartingPosition: LATEST}}
""",
    )
    tpl = load_template(path)
    with pytest.raises(TemplateError, match=r"Fn\.Changes: eventos DynamoDB sin soporte"):
        build_stack(tpl, assign_attributes(tpl, "http://moto:1"))
