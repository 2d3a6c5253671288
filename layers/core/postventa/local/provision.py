"""Turn a loaded template into resources in moto (through boto3) plus the specs the local
runtime needs (functions, HTTP routes, SQS sources, schedules, pattern rules).

Physical names are deterministic (`<stack>-<LogicalId>` unless the template names the resource),
so every Ref/GetAtt is known before anything is created; queue URLs and secret ARNs are replaced by
the values moto returns once created.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from postventa.local.template import Resolver, Template, TemplateError, merged_function_properties

log = logging.getLogger(__name__)

ClientFactory = Callable[[str], Any]

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable")
LAMBDA_ROLE_NAME = "postventa-local-lambda"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    runtime: str
    timeout: int
    memory_size: int
    environment: dict[str, str]


@dataclass
class HttpRoute:
    method: str  # upper case or "ANY"
    path: str  # "/a/{b}", "/{proxy+}" or "$default"
    function: str  # logical id

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass
class SqsSource:
    function: str
    queue_arn: str
    queue_url: str
    batch_size: int = 10
    report_batch_item_failures: bool = False
    enabled: bool = True


@dataclass
class RuleTarget:
    arn: str
    id: str
    input: str | None = None
    input_path: str | None = None


@dataclass
class ScheduleSpec:
    logical_id: str
    name: str
    arn: str
    expression: str
    event_bus: str
    targets: list[RuleTarget]
    enabled: bool = True


@dataclass
class PatternRuleSpec:
    logical_id: str
    name: str
    pattern: Any
    event_bus: str
    targets: list[RuleTarget]


@dataclass
class StateMachineSpec:
    logical_id: str
    name: str
    arn: str
    definition: str


@dataclass
class LocalStack:
    """Everything the local runtime learned from the template."""

    template: Template
    attributes: dict[str, dict[str, Any]]
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    routes: list[HttpRoute] = field(default_factory=list)
    sqs_sources: list[SqsSource] = field(default_factory=list)
    schedules: dict[str, ScheduleSpec] = field(default_factory=dict)
    state_machines: dict[str, StateMachineSpec] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)  # logical id -> url
    tables: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    event_buses: dict[str, str] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)  # logical id -> rule name (pattern+sched)
    pattern_rules: list[PatternRuleSpec] = field(default_factory=list)

    def function_by_name(self, name: str) -> FunctionSpec | None:
        for spec in self.functions.values():
            if name in (spec.name, spec.logical_id, spec.arn):
                return spec
        return None

    def schedule(self, name: str) -> ScheduleSpec:
        for spec in self.schedules.values():
            if name in (spec.name, spec.logical_id, spec.arn):
                return spec
        raise KeyError(name)


# ---------------------------------------------------------------------- naming
def _physical_name(tpl: Template, logical_id: str, limit: int = 64, lower: bool = False) -> str:
    name = f"{tpl.stack_name}-{logical_id}"[:limit]
    return name.lower() if lower else name


def _explicit_name(resolver: Resolver, props: Mapping[str, Any], key: str) -> str | None:
    if key not in props:
        return None
    return str(resolver.resolve(props[key]))


def assign_attributes(tpl: Template, queue_base_url: str) -> dict[str, dict[str, Any]]:
    """Deterministic Ref/GetAtt values for every resource (before anything exists)."""
    attrs: dict[str, dict[str, Any]] = {}
    resolver = Resolver(tpl, attrs)
    region, account = tpl.region, tpl.account_id

    def arn(service: str, resource: str, acct: str = account) -> str:
        return f"arn:aws:{service}:{region}:{acct}:{resource}"

    for logical_id, res in tpl.resources.items():
        rtype = res.get("Type", "")
        props = res.get("Properties") or {}
        a: dict[str, Any]
        if rtype == "AWS::SQS::Queue":
            name = _explicit_name(resolver, props, "QueueName") or _physical_name(
                tpl, logical_id, 80
            )
            if props.get("FifoQueue") in (True, "true") and not name.endswith(".fifo"):
                name = name[:75] + ".fifo"
            url = f"{queue_base_url}/{account}/{name}"
            a = {"Ref": url, "QueueUrl": url, "QueueName": name, "Arn": arn("sqs", name)}
        elif rtype in TABLE_TYPES:
            name = _explicit_name(resolver, props, "TableName") or _physical_name(
                tpl, logical_id, 255
            )
            table_arn = arn("dynamodb", f"table/{name}")
            a = {"Ref": name, "Arn": table_arn, "StreamArn": f"{table_arn}/stream/local"}
        elif rtype == "AWS::S3::Bucket":
            name = _explicit_name(resolver, props, "BucketName") or _physical_name(
                tpl, logical_id, 63, lower=True
            )
            a = {
                "Ref": name,
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
                "WebsiteURL": f"http://{name}.s3-website-{region}.amazonaws.com",
            }
        elif rtype == "AWS::Events::EventBus":
            name = _explicit_name(resolver, props, "Name") or _physical_name(tpl, logical_id)
            a = {"Ref": name, "Name": name, "Arn": arn("events", f"event-bus/{name}")}
        elif rtype == "AWS::Events::Rule":
            name = _explicit_name(resolver, props, "Name") or _physical_name(tpl, logical_id)
            bus = str(resolver.resolve(props.get("EventBusName", "default")))
            bus = bus.rsplit("/", 1)[-1]
            prefix = "" if bus == "default" else f"{bus}/"
            a = {"Ref": name, "Arn": arn("events", f"rule/{prefix}{name}")}
        elif rtype in FUNCTION_TYPES:
            name = _explicit_name(resolver, props, "FunctionName") or _physical_name(
                tpl, logical_id
            )
            a = {"Ref": name, "Arn": arn("lambda", f"function:{name}")}
            role = f"{logical_id}Role"
            attrs[role] = {"Ref": role, "Arn": f"arn:aws:iam::{account}:role/{role}"}
        elif rtype in STATE_MACHINE_TYPES:
            key = "Name" if rtype.startswith("AWS::Serverless") else "StateMachineName"
            name = _explicit_name(resolver, props, key) or _physical_name(tpl, logical_id, 80)
            sm_arn = arn("states", f"stateMachine:{name}")
            a = {"Ref": sm_arn, "Arn": sm_arn, "Name": name}
            role = f"{logical_id}Role"
            attrs[role] = {"Ref": role, "Arn": f"arn:aws:iam::{account}:role/{role}"}
        elif rtype in ("AWS::Serverless::HttpApi", "AWS::Serverless::Api"):
            api_id = logical_id.lower()[:10]
            a = {
                "Ref": api_id,
                "ApiEndpoint": f"https://{api_id}.execute-api.{region}.amazonaws.com",
            }
        elif rtype in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            a = {"Ref": arn("lambda", f"layer:{logical_id}:1")}
        elif rtype == "AWS::SecretsManager::Secret":
            name = _explicit_name(resolver, props, "Name") or _physical_name(tpl, logical_id, 256)
            secret_arn = arn("secretsmanager", f"secret:{name}-local")
            a = {"Ref": secret_arn, "Id": secret_arn, "Name": name}
        elif rtype == "AWS::SNS::Topic":
            name = _explicit_name(resolver, props, "TopicName") or _physical_name(tpl, logical_id)
            a = {"Ref": arn("sns", name), "TopicArn": arn("sns", name), "TopicName": name}
        elif rtype == "AWS::SES::EmailIdentity":
            a = {"Ref": str(resolver.resolve(props.get("EmailIdentity", "")))}
        elif rtype == "AWS::IAM::Role":
            name = _explicit_name(resolver, props, "RoleName") or _physical_name(tpl, logical_id)
            a = {"Ref": name, "Arn": f"arn:aws:iam::{account}:role/{name}"}
        else:
            a = {"Ref": _physical_name(tpl, logical_id), "Arn": arn("local", logical_id)}
        attrs[logical_id] = a
    # SAM's implicit HTTP API when HttpApi events have no ApiId
    attrs.setdefault(
        "ServerlessHttpApi",
        {"Ref": "localhttpapi", "ApiEndpoint": "https://localhttpapi.execute-api.amazonaws.com"},
    )
    return attrs


# ---------------------------------------------------------------------- reading the template
def _bool(value: Any, default: bool = True) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() in ("true", "enabled", "1")
    return bool(value)


def _input_str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _rule_arn(tpl: Template, bus: str, name: str) -> str:
    prefix = "" if bus == "default" else f"{bus}/"
    return f"arn:aws:events:{tpl.region}:{tpl.account_id}:rule/{prefix}{name}"


def build_stack(
    tpl: Template,
    attributes: dict[str, dict[str, Any]],
    *,
    substitution_overrides: Mapping[str, str] | None = None,
    env_overrides: Mapping[str, str] | None = None,
) -> LocalStack:
    """Read functions, routes, SQS sources, schedules and state machines from the template."""
    resolver = Resolver(tpl, attributes)
    stack = LocalStack(tpl, attributes)
    env_overrides = dict(env_overrides or {})

    for logical_id, res in tpl.resources.items():
        rtype = res["Type"]
        a = attributes[logical_id]
        if rtype == "AWS::SQS::Queue":
            stack.queues[logical_id] = a["QueueUrl"]
        elif rtype in TABLE_TYPES:
            stack.tables[logical_id] = a["Ref"]
        elif rtype == "AWS::S3::Bucket":
            stack.buckets[logical_id] = a["Ref"]
        elif rtype == "AWS::Events::EventBus":
            stack.event_buses[logical_id] = a["Name"]

    def add_rule_from_event(
        owner: str, ev_name: str, ev_type: str, ev: Mapping[str, Any], target_arn: str
    ) -> None:
        rule_logical = f"{owner}{ev_name}"
        if ev_type in ("Schedule", "ScheduleV2"):
            expr = ev.get("Schedule") or ev.get("ScheduleExpression")
            name = str(ev.get("Name") or _physical_name(tpl, rule_logical))
            enabled = _bool(ev.get("Enabled"), True) and _bool(ev.get("State", "ENABLED"))
            target = RuleTarget(target_arn, f"{rule_logical}Target", _input_str(ev.get("Input")))
            stack.schedules[rule_logical] = ScheduleSpec(
                rule_logical,
                name,
                _rule_arn(tpl, "default", name),
                str(expr),
                "default",
                [target],
                enabled,
            )
        elif ev_type in ("EventBridgeRule", "CloudWatchEvent"):
            name = str(ev.get("RuleName") or _physical_name(tpl, rule_logical))
            bus = str(ev.get("EventBusName", "default")).rsplit("/", 1)[-1]
            target_id = str((ev.get("Target") or {}).get("Id") or f"{rule_logical}Target")
            target = RuleTarget(
                target_arn, target_id, _input_str(ev.get("Input")), ev.get("InputPath")
            )
            stack.pattern_rules.append(
                PatternRuleSpec(rule_logical, name, ev.get("Pattern"), bus, [target])
            )

    for logical_id, res in tpl.of_type(*FUNCTION_TYPES).items():
        if res["Type"] == "AWS::Serverless::Function":
            props = resolver.resolve(merged_function_properties(tpl, res))
        else:
            props = resolver.resolve(res.get("Properties") or {})
        code = props.get("CodeUri") or (props.get("Code") or {}).get("ZipFile")
        if not isinstance(code, str):
            raise TemplateError(f"{logical_id}: CodeUri debe ser un directorio local")
        env = {
            k: str(v) for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()
        }
        env.update(env_overrides)
        spec = FunctionSpec(
            logical_id=logical_id,
            name=attributes[logical_id]["Ref"],
            arn=attributes[logical_id]["Arn"],
            code_dir=(tpl.base_dir / code).resolve(),
            handler=str(props.get("Handler", "app.handler")),
            runtime=str(props.get("Runtime", "python3.11")),
            timeout=int(props.get("Timeout", 3)),
            memory_size=int(props.get("MemorySize", 128)),
            environment=env,
        )
        stack.functions[logical_id] = spec
        for ev_name, ev in (props.get("Events") or {}).items():
            ev_type = ev.get("Type")
            ev_props = ev.get("Properties") or {}
            if ev_type == "HttpApi":
                method = str(ev_props.get("Method", "ANY")).upper()
                path = str(ev_props.get("Path", "$default"))
                stack.routes.append(HttpRoute(method, path, logical_id))
            elif ev_type == "SQS":
                queue_arn = str(ev_props["Queue"])
                queue_url = next(
                    (
                        attrs_["QueueUrl"]
                        for attrs_ in attributes.values()
                        if attrs_.get("Arn") == queue_arn and "QueueUrl" in attrs_
                    ),
                    "",
                )
                stack.sqs_sources.append(
                    SqsSource(
                        function=logical_id,
                        queue_arn=queue_arn,
                        queue_url=queue_url,
                        batch_size=min(int(ev_props.get("BatchSize", 10)), 10),
                        report_batch_item_failures="ReportBatchItemFailures"
                        in (ev_props.get("FunctionResponseTypes") or []),
                        enabled=_bool(ev_props.get("Enabled"), True),
                    )
                )
            elif ev_type in ("Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent"):
                add_rule_from_event(logical_id, ev_name, ev_type, ev_props, spec.arn)
            else:
                log.warning("evento %s de %s no soportado localmente", ev_type, logical_id)

    subs_over = dict(substitution_overrides or {})
    for logical_id, res in tpl.of_type(*STATE_MACHINE_TYPES).items():
        props = resolver.resolve(res.get("Properties") or {})
        if props.get("DefinitionUri") or props.get("DefinitionS3Location"):
            uri = props.get("DefinitionUri") or props.get("DefinitionS3Location")
            if not isinstance(uri, str):
                raise TemplateError(f"{logical_id}: DefinitionUri debe ser un archivo local")
            definition = (tpl.base_dir / uri).read_text(encoding="utf-8")
        elif "Definition" in props:
            definition = json.dumps(props["Definition"])
        elif "DefinitionString" in props:
            definition = str(props["DefinitionString"])
        else:
            raise TemplateError(f"{logical_id}: la máquina de estados no tiene definición")
        subs = {k: str(v) for k, v in (props.get("DefinitionSubstitutions") or {}).items()}
        subs.update({k: v for k, v in subs_over.items() if k in subs})
        for key, value in subs.items():
            definition = definition.replace("${" + key + "}", value)
        a = attributes[logical_id]
        stack.state_machines[logical_id] = StateMachineSpec(
            logical_id, a["Name"], a["Arn"], definition
        )
        for ev_name, ev in (props.get("Events") or {}).items():
            add_rule_from_event(
                logical_id, ev_name, ev.get("Type"), ev.get("Properties") or {}, a["Arn"]
            )

    for logical_id, res in tpl.of_type("AWS::Events::Rule").items():
        props = resolver.resolve(res.get("Properties") or {})
        name = attributes[logical_id]["Ref"]
        bus = str(props.get("EventBusName", "default")).rsplit("/", 1)[-1]
        targets = [
            RuleTarget(str(t["Arn"]), str(t["Id"]), _input_str(t.get("Input")), t.get("InputPath"))
            for t in props.get("Targets") or []
        ]
        if props.get("ScheduleExpression"):
            stack.schedules[logical_id] = ScheduleSpec(
                logical_id,
                name,
                attributes[logical_id]["Arn"],
                str(props["ScheduleExpression"]),
                bus,
                targets,
                _bool(props.get("State", "ENABLED")),
            )
        if props.get("EventPattern"):
            stack.pattern_rules.append(
                PatternRuleSpec(logical_id, name, props["EventPattern"], bus, targets)
            )

    return stack


# ---------------------------------------------------------------------- provisioning into moto
def _queue_attributes(props: Mapping[str, Any]) -> dict[str, str]:
    keys = (
        "VisibilityTimeout",
        "MessageRetentionPeriod",
        "DelaySeconds",
        "MaximumMessageSize",
        "ReceiveMessageWaitTimeSeconds",
        "FifoQueue",
        "ContentBasedDeduplication",
        "KmsMasterKeyId",
        "SqsManagedSseEnabled",
        "DeduplicationScope",
        "FifoThroughputLimit",
    )
    out = {}
    for key in keys:
        if key in props:
            value = props[key]
            out[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def _dummy_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("README.txt", "El código corre en el proceso del runtime local.\n")
    return buf.getvalue()


def provision(stack: LocalStack, client: ClientFactory) -> None:
    """Create every resource of the stack in moto."""
    tpl = stack.template
    resolver = Resolver(tpl, stack.attributes)

    for logical_id, res in tpl.of_type(*TABLE_TYPES).items():
        props = resolver.resolve(res.get("Properties") or {})
        _create_table(client("dynamodb"), stack.tables[logical_id], props, res["Type"])

    s3 = client("s3")
    for logical_id, res in tpl.of_type("AWS::S3::Bucket").items():
        props = resolver.resolve(res.get("Properties") or {})
        name = stack.buckets[logical_id]
        s3.create_bucket(Bucket=name)
        if (props.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if props.get("CorsConfiguration"):
            rules = props["CorsConfiguration"].get("CorsRules", [])
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})

    renamed: dict[str, str] = {}  # predicted value -> the one moto returned
    sqs = client("sqs")
    queues = tpl.of_type("AWS::SQS::Queue")
    for logical_id, res in queues.items():  # first pass: every queue exists (DLQs included)
        props = resolver.resolve(res.get("Properties") or {})
        name = stack.attributes[logical_id]["QueueName"]
        url = sqs.create_queue(QueueName=name, Attributes=_queue_attributes(props))["QueueUrl"]
        renamed[stack.attributes[logical_id]["QueueUrl"]] = url
        stack.attributes[logical_id].update({"Ref": url, "QueueUrl": url})
        stack.queues[logical_id] = url
    for logical_id, res in queues.items():  # second pass: redrive policies
        props = resolver.resolve(res.get("Properties") or {})
        extra = {}
        for key in ("RedrivePolicy", "RedriveAllowPolicy"):
            if key in props:
                value = props[key]
                extra[key] = value if isinstance(value, str) else json.dumps(value)
        if extra:
            sqs.set_queue_attributes(QueueUrl=stack.queues[logical_id], Attributes=extra)
    for source in stack.sqs_sources:
        name = source.queue_arn.rsplit(":", 1)[-1]
        source.queue_url = sqs.get_queue_url(QueueName=name)["QueueUrl"]

    events = client("events")
    for name in stack.event_buses.values():
        events.create_event_bus(Name=name)

    sm = client("secretsmanager")
    for logical_id, res in tpl.of_type("AWS::SecretsManager::Secret").items():
        props = resolver.resolve(res.get("Properties") or {})
        name = stack.attributes[logical_id]["Name"]
        value = props.get("SecretString")
        if value is None:
            gen = props.get("GenerateSecretString") or {}
            generated = secrets.token_urlsafe(int(gen.get("PasswordLength", 32)))
            if gen.get("SecretStringTemplate") and gen.get("GenerateStringKey"):
                doc = json.loads(gen["SecretStringTemplate"])
                doc[gen["GenerateStringKey"]] = generated
                value = json.dumps(doc)
            else:
                value = generated
        created = sm.create_secret(Name=name, SecretString=str(value))
        renamed[stack.attributes[logical_id]["Ref"]] = created["ARN"]
        stack.attributes[logical_id].update({"Ref": created["ARN"], "Id": created["ARN"]})

    sns = client("sns")
    for logical_id in tpl.of_type("AWS::SNS::Topic"):
        sns.create_topic(Name=stack.attributes[logical_id]["TopicName"])

    for spec in stack.functions.values():
        spec.environment = {k: renamed.get(v, v) for k, v in spec.environment.items()}
    for sm_spec in stack.state_machines.values():
        for old, new in renamed.items():
            if old != new:
                sm_spec.definition = sm_spec.definition.replace(old, new)

    # SES: verify explicit identities and every address a function is told to send from.
    ses = client("ses")
    identities = {str(stack.attributes[i]["Ref"]) for i in tpl.of_type("AWS::SES::EmailIdentity")}
    for spec in stack.functions.values():
        identities.update(v for v in spec.environment.values() if _EMAIL.match(v))
    for identity in sorted(i for i in identities if i):
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
            ses.verify_domain_identity(Domain=identity.split("@", 1)[1])
        else:
            ses.verify_domain_identity(Domain=identity)

    iam = client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role_arn = iam.create_role(
        RoleName=LAMBDA_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]

    lam = client("lambda")
    code = _dummy_zip()
    for spec in stack.functions.values():
        lam.create_function(
            FunctionName=spec.name,
            Runtime=spec.runtime,
            Role=role_arn,
            Handler=spec.handler,
            Code={"ZipFile": code},
            Timeout=spec.timeout,
            MemorySize=spec.memory_size,
            Environment={"Variables": spec.environment},
        )

    sfn = client("stepfunctions")
    for machine in stack.state_machines.values():
        sfn.create_state_machine(name=machine.name, definition=machine.definition, roleArn=role_arn)

    for sched in stack.schedules.values():
        events.put_rule(
            Name=sched.name,
            ScheduleExpression=sched.expression,
            State="ENABLED" if sched.enabled else "DISABLED",
            EventBusName=sched.event_bus,
        )
        stack.rules[sched.logical_id] = sched.name
        _put_targets(events, sched.name, sched.event_bus, sched.targets)

    for rule in stack.pattern_rules:
        pattern = rule.pattern
        events.put_rule(
            Name=rule.name,
            EventPattern=pattern if isinstance(pattern, str) else json.dumps(pattern),
            State="ENABLED",
            EventBusName=rule.event_bus,
        )
        stack.rules[rule.logical_id] = rule.name
        _put_targets(events, rule.name, rule.event_bus, rule.targets)


def _put_targets(events: Any, rule: str, bus: str, targets: list[RuleTarget]) -> None:
    if not targets:
        return
    payload = []
    for t in targets:
        item: dict[str, Any] = {"Id": t.id, "Arn": t.arn}
        if t.input is not None:
            item["Input"] = t.input
        if t.input_path is not None:
            item["InputPath"] = t.input_path
        payload.append(item)
    events.put_targets(Rule=rule, EventBusName=bus, Targets=payload)


def _create_table(ddb: Any, name: str, props: Mapping[str, Any], rtype: str) -> None:
    if rtype == "AWS::Serverless::SimpleTable":
        pk = props.get("PrimaryKey") or {"Name": "id", "Type": "String"}
        attr_type = {"String": "S", "Number": "N", "Binary": "B"}[pk.get("Type", "String")]
        ddb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": pk["Name"], "AttributeType": attr_type}],
            KeySchema=[{"AttributeName": pk["Name"], "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        return
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
    }
    billing = props.get("BillingMode")
    if billing == "PAY_PER_REQUEST" or not props.get("ProvisionedThroughput"):
        kwargs["BillingMode"] = "PAY_PER_REQUEST"
    else:
        kwargs["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(key):
            indexes = []
            for index in props[key]:
                index = dict(index)
                if kwargs.get("BillingMode") == "PAY_PER_REQUEST":
                    index.pop("ProvisionedThroughput", None)
                indexes.append(index)
            kwargs[key] = indexes
    stream = props.get("StreamSpecification")
    if stream:
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    ddb.create_table(**kwargs)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and _bool(ttl.get("Enabled"), False):
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
