"""Turn a loaded template into resources in moto (through boto3) plus the specs the local
runtime needs (functions, HTTP routes, SQS sources, schedules, pattern rules, layers).

One `ResourceKind` per supported resource type (`KINDS`) knows everything about its type: the
resource's Ref/GetAtt values before anything exists, what the runtime keeps of it, and how it is
created in moto. Function event sources likewise have one reader per event type
(`EVENT_SOURCES`). A type in neither is an error: the local cloud would otherwise run another
application than the template describes.

Physical names are deterministic (`<stack>-<LogicalId>` unless the template names the resource),
so every Ref/GetAtt resolves before anything is created; where moto answers with another value (a
queue URL), the functions' environments and the state machines' definitions get moto's.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from localcloud.specs import (
    ACCOUNT_BURST_LIMIT,
    ACCOUNT_RATE_LIMIT,
    FunctionSpec,
    HttpRoute,
    JwtAuthorizerSpec,
    PatternRuleSpec,
    RuleTarget,
    ScheduleSpec,
    SqsSource,
    StateMachineSpec,
    Throttle,
)
from localcloud.template import Resolver, Template, TemplateError, merged_properties

log = logging.getLogger(__name__)

ClientFactory = Callable[[str], Any]
Props = Mapping[str, Any]  # a resource's Properties
Attributes = dict[str, Any]  # "Ref" and GetAtt names -> values

#: SAM's implicit HTTP API, which HttpApi events without ApiId join.
IMPLICIT_HTTP_API = "ServerlessHttpApi"
#: One role for every function and state machine: moto's APIs ask for a role ARN and check nothing.
EXECUTION_ROLE = "localcloud-execution"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class LocalStack:
    """Everything the local runtime learned from the template, by logical id."""

    template: Template
    attributes: dict[str, dict[str, Any]]
    substitution_overrides: dict[str, str] = field(default_factory=dict)
    env_overrides: dict[str, str] = field(default_factory=dict)
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)  # resolved
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    routes: list[HttpRoute] = field(default_factory=list)
    apis: dict[str, dict[str, Any]] = field(default_factory=dict)  # HTTP API Ref -> properties
    sqs_sources: list[SqsSource] = field(default_factory=list)
    schedules: dict[str, ScheduleSpec] = field(default_factory=dict)
    pattern_rules: list[PatternRuleSpec] = field(default_factory=list)
    state_machines: dict[str, StateMachineSpec] = field(default_factory=dict)
    layers: dict[str, Path] = field(default_factory=dict)  # layer ARN -> import directory
    queues: dict[str, str] = field(default_factory=dict)  # logical id -> url
    tables: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    event_buses: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)  # predicted value -> moto's
    #: JWT authorizers by HTTP API (its Ref) and name, and each API's DefaultAuthorizer.
    authorizers: dict[str, dict[str, JwtAuthorizerSpec]] = field(default_factory=dict)
    default_authorizers: dict[str, str] = field(default_factory=dict)
    user_pools: dict[str, str] = field(default_factory=dict)  # logical id -> pool id
    user_pool_clients: dict[str, str] = field(default_factory=dict)  # logical id -> client id
    role_arn: str | None = None

    def logical_ids(self, kind: ResourceKind) -> list[str]:
        return list(self.template.of_type(kind.resource_type))

    def rename(self, value: str) -> str:
        """`value` with every predicted name moto answered differently replaced by moto's, also
        inside longer strings (an issuer URL holds the user pool's id); longest first, so a
        name that starts another (Pool, Pool2) never breaks it."""
        for old in sorted(self.renamed, key=len, reverse=True):
            if old != self.renamed[old] and old in value:
                value = value.replace(old, self.renamed[old])
        return value


@dataclass
class Naming:
    """Physical names and ARNs, decided before anything is created."""

    template: Template
    resolver: Resolver
    queue_base_url: str  # moto server's URL, or AWS's in-process (what moto answers there)

    def physical(self, logical_id: str, limit: int = 64, *, lower: bool = False) -> str:
        name = f"{self.template.stack_name}-{logical_id}"[:limit]
        return name.lower() if lower else name

    def name(self, logical_id: str, props: Props, key: str, limit: int = 64, **kw: bool) -> str:
        """The name the template gives in `props[key]`, or the deterministic physical name."""
        if key in props:
            return str(self.resolver.resolve(props[key]))
        return self.physical(logical_id, limit, **kw)

    def arn(self, service: str, resource: str) -> str:
        tpl = self.template
        return f"arn:aws:{service}:{tpl.region}:{tpl.account_id}:{resource}"


# ---------------------------------------------------------------------- one kind per type
class ResourceKind:
    """How the local cloud handles one resource type."""

    resource_type: ClassVar[str]

    def attributes(self, naming: Naming, logical_id: str, props: Props) -> Attributes:
        """Ref and GetAtt values, from the template alone (`props` are not resolved yet)."""
        raise NotImplementedError

    def properties(self, stack: LocalStack, resolver: Resolver, resource: Mapping[str, Any]) -> Any:
        """The resource's properties, its type's Globals merged in, resolved."""
        return resolver.resolve(merged_properties(stack.template, dict(resource)))

    def read(self, stack: LocalStack, logical_id: str, props: dict[str, Any]) -> None:
        """Keep what the runtime needs of the resource (`props` resolved)."""

    def create_all(self, stack: LocalStack, client: ClientFactory) -> None:
        """Create every resource of this kind in moto."""


class LayerKind(ResourceKind):
    """A layer whose ContentUri is a local directory. Lambda mounts a layer at /opt and puts
    /opt/python on the import path: a prebuilt layer (ContentUri holding `python/`) gives that
    directory; a layer `sam build` builds (its source holds the packages directly, like
    layers/core) gives ContentUri itself. Its requirements.txt is not installed: third-party
    packages come from the interpreter's environment."""

    resource_type = "AWS::Serverless::LayerVersion"

    def attributes(self, naming: Naming, logical_id: str, props: Props) -> Attributes:
        name = naming.name(logical_id, props, "LayerName", 140)
        return {"Ref": naming.arn("lambda", f"layer:{name}:1")}

    def read(self, stack: LocalStack, logical_id: str, props: dict[str, Any]) -> None:
        uri = props.get("ContentUri")
        if not isinstance(uri, str):
            raise TemplateError(f"{logical_id}: ContentUri debe ser un directorio local")
        content = (stack.template.base_dir / uri).resolve()
        if not content.is_dir():
            raise TemplateError(f"{logical_id}: ContentUri {uri} no es un directorio")
        packaged = content / "python"
        stack.layers[stack.attributes[logical_id]["Ref"]] = (
            packaged if packaged.is_dir() else content
        )


class HttpApiKind(ResourceKind):
    """The HTTP API itself: its routes come from the functions' HttpApi events; its
    DefaultRouteSettings and RouteSettings give each route its throttle (`route_throttle`)."""

    resource_type = "AWS::Serverless::HttpApi"

    def attributes(self, naming: Naming, logical_id: str, props: Props) -> Attributes:
        return _api_attributes(logical_id.lower()[:10], naming.template.region)

    def read(self, stack: LocalStack, logical_id: str, props: dict[str, Any]) -> None:
        """The API's JWT authorizers (`Auth.Authorizers`, SAM's lower-case `issuer`/`audience`
        or CloudFormation's capitalised ones) and its `Auth.DefaultAuthorizer`. Other
        authorizer types (Lambda, IAM) are refused: the gateway would let their routes open."""
        auth = props.get("Auth") or {}
        api = str(stack.attributes[logical_id]["Ref"])
        found: dict[str, JwtAuthorizerSpec] = {}
        for name, spec in (auth.get("Authorizers") or {}).items():
            jwt = spec.get("JwtConfiguration")
            if not isinstance(jwt, dict):
                raise TemplateError(
                    f"{logical_id}: el autorizador {name} no es JWT (solo JwtConfiguration tiene "
                    "soporte local)"
                )
            issuer = jwt.get("issuer", jwt.get("Issuer"))
            audience = jwt.get("audience", jwt.get("Audience")) or []
            if not issuer or not audience:
                raise TemplateError(
                    f"{logical_id}: el autorizador {name} necesita issuer y audience"
                )
            found[name] = JwtAuthorizerSpec(
                name=name,
                issuer=str(issuer),
                audience=tuple(str(a) for a in audience),
                identity_source=str(spec.get("IdentitySource") or "$request.header.Authorization"),
            )
        stack.authorizers[api] = found
        default = auth.get("DefaultAuthorizer")
        if default:
            if default not in found:
                raise TemplateError(f"{logical_id}: DefaultAuthorizer {default} no está declarado")
            stack.default_authorizers[api] = str(default)
        stack.apis[api] = props  # its route settings (route_throttle)


def route_throttle(api: Mapping[str, Any], route_key: str, where: str = "") -> Throttle:
    """A route's throttle as API Gateway applies it, value by value: the route's own entry in
    RouteSettings, else the API's DefaultRouteSettings, else the account's limits."""
    default = api.get("DefaultRouteSettings") or {}
    own = (api.get("RouteSettings") or {}).get(route_key) or {}
    values = []
    for key, account in (
        ("ThrottlingBurstLimit", ACCOUNT_BURST_LIMIT),
        ("ThrottlingRateLimit", ACCOUNT_RATE_LIMIT),
    ):
        value = own.get(key, default.get(key, account))
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = -1.0
        if number < 0:
            raise TemplateError(f"{where or route_key}: {key} debe ser un número >= 0: {value!r}")
        values.append(number)
    return Throttle(burst=int(values[0]), rate=values[1])


def _api_attributes(api_id: str, region: str) -> dict[str, Any]:
    return {"Ref": api_id, "ApiEndpoint": f"https://{api_id}.execute-api.{region}.amazonaws.com"}


class TableKind(ResourceKind):
    resource_type = "AWS::DynamoDB::Table"

    def attributes(self, naming: Naming, logical_id: str, props: Props) -> Attributes:
        name = naming.name(logical_id, props, "TableName", 255)
        table_arn = naming.arn("dynamodb", f"table/{name}")
        return {"Ref": name, "Arn": table_arn, "StreamArn": f"{table_arn}/stream/local"}

    def read(self, stack: LocalStack, logical_id: str, props: dict[str, Any]) -> None:
        stack.tables[logical_id] = stack.attributes[logical_id]["Ref"]

    def create_all(self, stack: LocalStack, client: ClientFactory) -> None:
        for logical_id in stack.logical_ids(self):
            _create_table(
                client("dynamodb"), stack.tables[logical_id], stack.properties[logical_id]
            )


class BucketKind(ResourceKind):
    resource_type = "AWS::S3::Bucket"

    def attributes(self, naming: Naming, logical_id: str, props: Props) -> Attributes:
        name = naming.name(logical_id, props, "BucketName", 63, lower=True)
        region = naming.template.region
        return {
            "Ref": name,
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
        }

    def read(self, stack: LocalStack, logical_id: str, props: dict[str, Any]) -> None:
        stack.buckets[logical_id] = stack.attributes[logical_id]["Ref"]

    def create_all(self, stack: LocalStack, client: ClientFactory) -> None:
        s3 = client("s3")
        for logical_id in stack.logical_ids(self):
            props, name = stack.properties[logical_id], stack.buckets[logical_id]
            s3.create_bucket(Bucket=name)
            if (props.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            if props.get("CorsConfiguration"):
                rules = props["CorsConfiguration"].get("CorsRules", [])
                s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})


class QueueKind(ResourceKind):
    resource_type = "AWS::SQS::Queue"

    _ATTRIBUTES = (
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

    def attributes(self, naming: Naming, logical_id: str, props: Props) -> Attributes:
        name = naming.name(logical_id, props, "QueueName", 80)
        if props.get("FifoQueue") in (True, "true") and not name.endswith(".fifo"):
            name = name[:75] + ".fifo"
        url = f"{naming.queue_base_url}/{naming.template.account_id}/{name}"
        return {"Ref": url, "QueueUrl": url, "QueueName": name, "Arn": naming.arn("sqs", name)}

    def read(self, stack: LocalStack, logical_id: str, props: dict[str, Any]) -> None:
        stack.queues[logical_id] = stack.attributes[logical_id]["QueueUrl"]

    def create_all(self, stack: LocalStack, client: ClientFactory) -> None:
        sqs = client("sqs")
        ids = stack.logical_ids(self)
        for logical_id in ids:  # first pass: every queue exists, dead-letter queues included
            attrs = stack.attributes[logical_id]
            created = sqs.create_queue(
                QueueName=attrs["QueueName"],
                Attributes=self._queue_attributes(stack.properties[logical_id]),
            )["QueueUrl"]
            stack.renamed[attrs["QueueUrl"]] = created
            attrs.update({"Ref": created, "QueueUrl": created})
            stack.queues[logical_id] = created
        for logical_id in ids:  # second pass: redrive policies point at queues that exist
            props = stack.properties[logical_id]
            extra = {
                key: props[key] if isinstance(props[key], str) else json.dumps(props[key])
                for key in ("RedrivePolicy", "RedriveAllowPolicy")
                if key in props
            }
            if extra:
                sqs.set_queue_attributes(QueueUrl=stack.queues[logical_id], Attributes=extra)
        for source in stack.sqs_sources:
            source.queue_url = stack.renamed.get(source.queue_url, source.queue_url)

    def _queue_attributes(self, props: Mapping[str, Any]) -> dict[str, str]:
        return {
            key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
            for key in self._ATTRIBUTES
            if key in props
        }


class EventBusKind(ResourceKind):
    resource_type = "AWS::Events::EventBus"

    def attributes(self, naming: Naming, logical_id: str, props: Props) -> Attributes:
        name = naming.name(logical_id, props, "Name")
        return {"Ref": name, "Name": name, "Arn": naming.arn("events", f"event-bus/{name}")}

    def read(self, stack: LocalStack, logical_id: str, props: dict[str, Any]) -> None:
        stack.event_buses[logical_id] = stack.attributes[logical_id]["Name"]

    def create_all(self, stack: LocalStack, client: ClientFactory) -> None:
        events = client("events")
        for name in stack.event_buses.values():
            events.create_event_bus(Name=name)


class UserPoolKind(ResourceKind):
    """A Cognito user pool on moto's cognito-idp. moto chooses the pool's id, so the template's
    Ref and GetAtt values are placeholders until the pool exists; `LocalStack.rename` puts the
    real id into everything resolved before (functions' environments, authorizers' issuers).
    Lambda triggers are refused: moto never runs them."""

    resource_type = "AWS::Cognito::UserPool"

    #: Properties whose CloudFormation names and shapes are the CreateUserPool API's own.
    _SAME_AS_API = (
        "AccountRecoverySetting",
        "AdminCreateUserConfig",
        "AliasAttributes",
        "AutoVerifiedAttributes",
        "DeletionProtection",
        "DeviceConfiguration",
        "EmailConfiguration",
        "MfaConfiguration",
        "Policies",
        "Schema",
        "UserAttributeUpdateSettings",
        "UserPoolAddOns",
        "UserPoolTags",
        "UsernameAttributes",
        "UsernameConfiguration",
        "VerificationMessageTemplate",
    )

    def attributes(self, naming: Naming, logical_id: str, props: Props) -> Attributes:
        pool_id = f"{naming.template.region}_LOCAL{logical_id}"
        return _user_pool_attributes(naming.template.region, naming.template.account_id, pool_id)

    def read(self, stack: LocalStack, logical_id: str, props: dict[str, Any]) -> None:
        if props.get("LambdaConfig"):
            raise TemplateError(f"{logical_id}: LambdaConfig sin soporte local (moto no lo corre)")
        stack.user_pools[logical_id] = stack.attributes[logical_id]["Ref"]

    def create_all(self, stack: LocalStack, client: ClientFactory) -> None:
        cognito = client("cognito-idp")
        for logical_id in stack.logical_ids(self):
            props = stack.properties[logical_id]
            name = str(props.get("UserPoolName") or f"{stack.template.stack_name}-{logical_id}")
            extra = {k: props[k] for k in self._SAME_AS_API if k in props}
            created = cognito.create_user_pool(PoolName=name, **extra)["UserPool"]["Id"]
            attrs = stack.attributes[logical_id]
            stack.renamed[attrs["Ref"]] = created
            tpl = stack.template
            attrs.update(_user_pool_attributes(tpl.region, tpl.account_id, created))
            stack.user_pools[logical_id] = created


def _user_pool_attributes(region: str, account_id: str, pool_id: str) -> Attributes:
    provider = f"cognito-idp.{region}.amazonaws.com/{pool_id}"
    return {
        "Ref": pool_id,
        "UserPoolId": pool_id,
        "Arn": f"arn:aws:cognito-idp:{region}:{account_id}:userpool/{pool_id}",
        "ProviderName": provider,
        "ProviderURL": f"https://{provider}",
    }


class UserPoolClientKind(ResourceKind):
    """An app client of a user pool of the template (its id, moto's, replaces the placeholder
    as the pool's does)."""

    resource_type = "AWS::Cognito::UserPoolClient"

    _SAME_AS_API = (
        "AccessTokenValidity",
        "AllowedOAuthFlows",
        "AllowedOAuthFlowsUserPoolClient",
        "AllowedOAuthScopes",
        "AuthSessionValidity",
        "CallbackURLs",
        "EnableTokenRevocation",
        "ExplicitAuthFlows",
        "GenerateSecret",
        "IdTokenValidity",
        "LogoutURLs",
        "PreventUserExistenceErrors",
        "ReadAttributes",
        "RefreshTokenValidity",
        "SupportedIdentityProviders",
        "TokenValidityUnits",
        "WriteAttributes",
    )

    def attributes(self, naming: Naming, logical_id: str, props: Props) -> Attributes:
        client_id = f"LOCAL{logical_id}ClientId"
        return {"Ref": client_id, "ClientId": client_id, "Name": naming.physical(logical_id)}

    def read(self, stack: LocalStack, logical_id: str, props: dict[str, Any]) -> None:
        stack.user_pool_clients[logical_id] = stack.attributes[logical_id]["Ref"]

    def create_all(self, stack: LocalStack, client: ClientFactory) -> None:
        cognito = client("cognito-idp")
        for logical_id in stack.logical_ids(self):
            props = stack.properties[logical_id]
            attrs = stack.attributes[logical_id]
            created = cognito.create_user_pool_client(
                UserPoolId=stack.rename(str(props["UserPoolId"])),
                ClientName=str(props.get("ClientName") or attrs["Name"]),
                **{k: props[k] for k in self._SAME_AS_API if k in props},
            )["UserPoolClient"]
            stack.renamed[attrs["Ref"]] = created["ClientId"]
            attrs.update({"Ref": created["ClientId"], "ClientId": created["ClientId"]})
            if created.get("ClientSecret"):
                attrs["ClientSecret"] = created["ClientSecret"]
            stack.user_pool_clients[logical_id] = created["ClientId"]


class FunctionKind(ResourceKind):
    resource_type = "AWS::Serverless::Function"

    def attributes(self, naming: Naming, logical_id: str, props: Props) -> Attributes:
        name = naming.name(logical_id, props, "FunctionName")
        return {"Ref": name, "Arn": naming.arn("lambda", f"function:{name}")}

    def read(self, stack: LocalStack, logical_id: str, props: dict[str, Any]) -> None:
        code = props.get("CodeUri")
        if not isinstance(code, str):
            raise TemplateError(f"{logical_id}: CodeUri debe ser un directorio local")
        env = {
            k: str(v) for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()
        }
        env.update(stack.env_overrides)
        spec = FunctionSpec(
            logical_id=logical_id,
            name=stack.attributes[logical_id]["Ref"],
            arn=stack.attributes[logical_id]["Arn"],
            code_dir=(stack.template.base_dir / code).resolve(),
            handler=str(props.get("Handler", "app.handler")),
            runtime=str(props.get("Runtime", "python3.11")),
            timeout=int(props.get("Timeout", 3)),
            memory_size=int(props.get("MemorySize", 128)),
            environment=env,
            layers=tuple(self._layer_dirs(stack, logical_id, props.get("Layers") or [])),
            reserved_concurrency=(
                int(props["ReservedConcurrentExecutions"])
                if props.get("ReservedConcurrentExecutions") is not None
                else None
            ),
        )
        stack.functions[logical_id] = spec
        for event_name, event in (props.get("Events") or {}).items():
            event_type = event.get("Type")
            if event_type not in EVENT_SOURCES:
                raise TemplateError(
                    f"{logical_id}.{event_name}: eventos {event_type} sin soporte en la nube local"
                )
            EVENT_SOURCES[event_type](stack, spec, event_name, event.get("Properties") or {})

    @staticmethod
    def _layer_dirs(stack: LocalStack, logical_id: str, arns: list[Any]) -> list[Path]:
        dirs = []
        for arn in arns:
            if str(arn) in stack.layers:
                dirs.append(stack.layers[str(arn)])
            else:  # a published layer: nothing local to mount
                log.warning(
                    "%s: la capa %s no está en la plantilla; se usa el entorno", logical_id, arn
                )
        return dirs

    def create_all(self, stack: LocalStack, client: ClientFactory) -> None:
        for logical_id, spec in stack.functions.items():
            env = {k: stack.rename(v) for k, v in spec.environment.items()}
            stack.functions[logical_id] = dataclasses.replace(spec, environment=env)
        _verify_senders(stack, client("ses"))
        lam, code = client("lambda"), _placeholder_zip()
        for spec in stack.functions.values():
            lam.create_function(
                FunctionName=spec.name,
                Runtime=spec.runtime,
                Role=_execution_role(stack, client),
                Handler=spec.handler,
                Code={"ZipFile": code},
                Timeout=spec.timeout,
                MemorySize=spec.memory_size,
                Environment={"Variables": spec.environment},
            )


class StateMachineKind(ResourceKind):
    """Created through the Step Functions API (moto's CloudFormation path ignores
    DefinitionSubstitutions), with DefinitionUri read and substitutions applied here."""

    resource_type = "AWS::Serverless::StateMachine"

    def attributes(self, naming: Naming, logical_id: str, props: Props) -> Attributes:
        name = naming.name(logical_id, props, "Name", 80)
        arn = naming.arn("states", f"stateMachine:{name}")
        return {"Ref": arn, "Arn": arn, "Name": name}

    def read(self, stack: LocalStack, logical_id: str, props: dict[str, Any]) -> None:
        if props.get("Events"):
            raise TemplateError(f"{logical_id}: eventos de máquina de estados sin soporte local")
        if isinstance(props.get("DefinitionUri"), str):
            definition = (stack.template.base_dir / props["DefinitionUri"]).read_text("utf-8")
        elif "Definition" in props:
            definition = json.dumps(props["Definition"])
        else:
            raise TemplateError(f"{logical_id}: se necesita DefinitionUri local o Definition")
        subs = {k: str(v) for k, v in (props.get("DefinitionSubstitutions") or {}).items()}
        subs.update({k: v for k, v in stack.substitution_overrides.items() if k in subs})
        for key, value in subs.items():
            definition = definition.replace("${" + key + "}", value)
        attrs = stack.attributes[logical_id]
        stack.state_machines[logical_id] = StateMachineSpec(
            logical_id, attrs["Name"], attrs["Arn"], definition
        )

    def create_all(self, stack: LocalStack, client: ClientFactory) -> None:
        sfn = client("stepfunctions")
        for machine in stack.state_machines.values():
            for old, new in stack.renamed.items():
                machine.definition = machine.definition.replace(old, new)
            sfn.create_state_machine(
                name=machine.name,
                definition=machine.definition,
                roleArn=_execution_role(stack, client),
            )


class EventRuleKind(ResourceKind):
    """A pattern rule declared on its own (targets such as an SQS queue, which a function's
    EventBridgeRule event cannot have), delivered like the functions' rules (events.py).
    Scheduled rules come from functions' Schedule events; target retry policies and dead-letter
    configs are AWS's delivery guarantees and are not simulated."""

    resource_type = "AWS::Events::Rule"

    def attributes(self, naming: Naming, logical_id: str, props: Props) -> Attributes:
        name = naming.name(logical_id, props, "Name")
        return {"Ref": name, "Arn": naming.arn("events", f"rule/{name}")}

    def read(self, stack: LocalStack, logical_id: str, props: dict[str, Any]) -> None:
        if "EventPattern" not in props or "ScheduleExpression" in props:
            raise TemplateError(
                f"{logical_id}: solo reglas con EventPattern (las programadas van como evento "
                "Schedule de una función)"
            )
        if str(props.get("State", "ENABLED")) != "ENABLED":
            return
        bus = str(props.get("EventBusName", "default")).rsplit("/", 1)[-1]
        name = stack.attributes[logical_id]["Ref"]
        stack.attributes[logical_id]["Arn"] = _rule_arn(stack.template, bus, name)
        targets = []
        for target in props.get("Targets") or []:
            if "InputTransformer" in target:
                raise TemplateError(f"{logical_id}: InputTransformer sin soporte local")
            targets.append(
                RuleTarget(
                    str(target["Arn"]),
                    str(target["Id"]),
                    _input_str(target.get("Input")),
                    target.get("InputPath"),
                )
            )
        stack.pattern_rules.append(
            PatternRuleSpec(logical_id, name, props["EventPattern"], bus, targets)
        )


class QueuePolicyKind(ResourceKind):
    """A queue's resource policy, set on each queue it names (moto stores it, enforces none)."""

    resource_type = "AWS::SQS::QueuePolicy"

    def attributes(self, naming: Naming, logical_id: str, props: Props) -> Attributes:
        return {"Ref": naming.physical(logical_id)}

    def create_all(self, stack: LocalStack, client: ClientFactory) -> None:
        sqs = client("sqs")
        for logical_id in stack.logical_ids(self):
            props = stack.properties[logical_id]
            policy = json.dumps(props["PolicyDocument"])
            for url in props.get("Queues") or []:
                url = stack.renamed.get(str(url), str(url))
                sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})


#: Every supported resource type, in the order resources are read and created (what others
#: point at first: layers before functions, queues before their consumers).
ORDER: tuple[ResourceKind, ...] = (
    LayerKind(),
    HttpApiKind(),
    TableKind(),
    BucketKind(),
    QueueKind(),
    EventBusKind(),
    UserPoolKind(),
    UserPoolClientKind(),
    FunctionKind(),
    StateMachineKind(),
    EventRuleKind(),
    QueuePolicyKind(),
)
KINDS: dict[str, ResourceKind] = {kind.resource_type: kind for kind in ORDER}


# ---------------------------------------------------------------------- function event sources
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


def _http_route(stack: LocalStack, fn: FunctionSpec, name: str, props: Mapping[str, Any]) -> None:
    """A route, with the JWT authorizer its `Auth.Authorizer` names (or its API's default;
    `NONE` opens it) and its AuthorizationScopes."""
    method = str(props.get("Method", "ANY")).upper()
    route = HttpRoute(method, str(props.get("Path", "$default")), fn.logical_id)
    if "ApiId" in props:
        route.api = str(props["ApiId"])
        api = stack.apis.get(route.api)
        if api is None:
            raise TemplateError(f"{fn.logical_id}.{name}: ApiId no es un HttpApi de la plantilla")
    else:  # SAM's implicit API (build_stack gave it Globals.HttpApi)
        route.api = stack.attributes[IMPLICIT_HTTP_API]["Ref"]
        api = stack.apis[route.api]
    auth = props.get("Auth") or {}
    chosen = auth.get("Authorizer") or stack.default_authorizers.get(route.api)
    if chosen and chosen != "NONE":
        route.authorizer = stack.authorizers.get(route.api, {}).get(str(chosen))
        if route.authorizer is None:
            raise TemplateError(f"{fn.logical_id}.{name}: el autorizador {chosen} no existe")
    route.scopes = tuple(str(s) for s in auth.get("AuthorizationScopes") or ())
    route.throttle = route_throttle(api, route.route_key, f"{fn.logical_id}.{name}")
    stack.routes.append(route)


def _check_route_settings(stack: LocalStack) -> None:
    """API Gateway refuses route settings for a route the API does not have (so would a typo in
    a route key silently leave a route unthrottled here)."""
    for api_id, props in stack.apis.items():
        keys = {r.route_key for r in stack.routes if r.api == api_id}
        if not keys and api_id == stack.attributes[IMPLICIT_HTTP_API]["Ref"]:
            continue  # no implicit API: Globals.HttpApi configured the template's own APIs
        for key in props.get("RouteSettings") or {}:
            if key not in keys:
                raise TemplateError(
                    f"RouteSettings de {api_id}: la ruta {key!r} no existe "
                    f"(rutas: {', '.join(sorted(keys)) or 'ninguna'})"
                )


def _sqs_source(stack: LocalStack, fn: FunctionSpec, _name: str, props: Mapping[str, Any]) -> None:
    queue_arn = str(props["Queue"])
    queue_url = next(
        (a["QueueUrl"] for a in stack.attributes.values() if a.get("Arn") == queue_arn),
        "",
    )
    stack.sqs_sources.append(
        SqsSource(
            function=fn.logical_id,
            queue_arn=queue_arn,
            queue_url=queue_url,
            batch_size=min(int(props.get("BatchSize", 10)), 10),
            report_batch_item_failures="ReportBatchItemFailures"
            in (props.get("FunctionResponseTypes") or []),
            enabled=_bool(props.get("Enabled"), True),
            maximum_concurrency=(
                int(scaling["MaximumConcurrency"])
                if (scaling := props.get("ScalingConfig") or {}).get("MaximumConcurrency")
                else None
            ),
        )
    )


def _rule_arn(tpl: Template, bus: str, name: str) -> str:
    prefix = "" if bus == "default" else f"{bus}/"
    return f"arn:aws:events:{tpl.region}:{tpl.account_id}:rule/{prefix}{name}"


def _schedule(stack: LocalStack, fn: FunctionSpec, name: str, props: Mapping[str, Any]) -> None:
    rule_id = f"{fn.logical_id}{name}"
    rule_name = str(props.get("Name") or f"{stack.template.stack_name}-{rule_id}"[:64])
    stack.schedules[rule_id] = ScheduleSpec(
        rule_id,
        rule_name,
        _rule_arn(stack.template, "default", rule_name),
        str(props["Schedule"]),
        "default",
        [RuleTarget(fn.arn, f"{rule_id}Target", _input_str(props.get("Input")))],
        _bool(props.get("Enabled"), True) and _bool(props.get("State", "ENABLED")),
    )


def _pattern_rule(stack: LocalStack, fn: FunctionSpec, name: str, props: Mapping[str, Any]) -> None:
    rule_id = f"{fn.logical_id}{name}"
    rule_name = str(props.get("RuleName") or f"{stack.template.stack_name}-{rule_id}"[:64])
    bus = str(props.get("EventBusName", "default")).rsplit("/", 1)[-1]
    target_id = str((props.get("Target") or {}).get("Id") or f"{rule_id}Target")
    target = RuleTarget(fn.arn, target_id, _input_str(props.get("Input")), props.get("InputPath"))
    stack.pattern_rules.append(PatternRuleSpec(rule_id, rule_name, props["Pattern"], bus, [target]))


EventSource = Callable[[LocalStack, FunctionSpec, str, Mapping[str, Any]], None]

#: Function event types the local cloud serves: HTTP API routes (gateway.py), SQS event sources
#: (pollers.py), schedules (scheduler.py) and EventBridge pattern rules (events.py).
EVENT_SOURCES: dict[str, EventSource] = {
    "HttpApi": _http_route,
    "SQS": _sqs_source,
    "Schedule": _schedule,
    "EventBridgeRule": _pattern_rule,
}


# ---------------------------------------------------------------------- the three steps
def assign_attributes(tpl: Template, queue_base_url: str) -> dict[str, dict[str, Any]]:
    """Deterministic Ref/GetAtt values for every resource (before anything exists)."""
    attrs: dict[str, dict[str, Any]] = {}
    naming = Naming(tpl, Resolver(tpl, attrs), queue_base_url)
    for logical_id, res in tpl.resources.items():
        kind = KINDS.get(res.get("Type", ""))
        if kind is None:
            raise TemplateError(
                f"{logical_id}: recursos {res.get('Type')} sin soporte en la nube local "
                f"(soportados: {', '.join(KINDS)})"
            )
        attrs[logical_id] = kind.attributes(naming, logical_id, res.get("Properties") or {})
    attrs.setdefault(IMPLICIT_HTTP_API, _api_attributes("localhttpapi", tpl.region))
    return attrs


def build_stack(
    tpl: Template,
    attributes: dict[str, dict[str, Any]],
    *,
    substitution_overrides: Mapping[str, str] | None = None,
    env_overrides: Mapping[str, str] | None = None,
) -> LocalStack:
    """Read functions, routes, SQS sources, schedules, layers and state machines."""
    stack = LocalStack(
        tpl,
        attributes,
        substitution_overrides=dict(substitution_overrides or {}),
        env_overrides=dict(env_overrides or {}),
    )
    resolver = Resolver(tpl, attributes)
    implicit_api = attributes[IMPLICIT_HTTP_API]["Ref"]
    stack.apis[implicit_api] = resolver.resolve(tpl.globals_for("HttpApi"))
    for kind in ORDER:
        for logical_id, res in tpl.of_type(kind.resource_type).items():
            props = kind.properties(stack, resolver, res)
            stack.properties[logical_id] = props
            kind.read(stack, logical_id, props)
    _check_route_settings(stack)
    return stack


def provision(stack: LocalStack, client: ClientFactory) -> None:
    """Create every resource of the stack in moto, then the rules its events make."""
    for kind in ORDER:
        kind.create_all(stack, client)
    for route in stack.routes:  # issuers and audiences name user pools and clients moto made
        if route.authorizer is not None:
            route.authorizer = dataclasses.replace(
                route.authorizer,
                issuer=stack.rename(route.authorizer.issuer),
                audience=tuple(stack.rename(a) for a in route.authorizer.audience),
            )
    events = client("events")
    for sched in stack.schedules.values():
        events.put_rule(
            Name=sched.name,
            ScheduleExpression=sched.expression,
            State="ENABLED" if sched.enabled else "DISABLED",
            EventBusName=sched.event_bus,
        )
        _put_targets(events, sched.name, sched.event_bus, sched.targets)
    for rule in stack.pattern_rules:
        pattern = rule.pattern
        events.put_rule(
            Name=rule.name,
            EventPattern=pattern if isinstance(pattern, str) else json.dumps(pattern),
            State="ENABLED",
            EventBusName=rule.event_bus,
        )
        _put_targets(events, rule.name, rule.event_bus, rule.targets)


# ---------------------------------------------------------------------- helpers
def _put_targets(events: Any, rule: str, bus: str, targets: list[RuleTarget]) -> None:
    payload = []
    for t in targets:
        item: dict[str, Any] = {"Id": t.id, "Arn": t.arn}
        if t.input is not None:
            item["Input"] = t.input
        if t.input_path is not None:
            item["InputPath"] = t.input_path
        payload.append(item)
    events.put_targets(Rule=rule, EventBusName=bus, Targets=payload)


def _execution_role(stack: LocalStack, client: ClientFactory) -> str:
    if stack.role_arn is None:
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
        stack.role_arn = client("iam").create_role(
            RoleName=EXECUTION_ROLE, AssumeRolePolicyDocument=json.dumps(trust)
        )["Role"]["Arn"]
    return stack.role_arn


def _verify_senders(stack: LocalStack, ses: Any) -> None:
    """SES (moto too) refuses to send from an unverified address: verify every address a
    function's environment names (its sender), as an operator verifies it once in AWS."""
    addresses = {v for spec in stack.functions.values() for v in spec.environment.values()}
    for address in sorted(a for a in addresses if _EMAIL.match(a)):
        ses.verify_email_identity(EmailAddress=address)
        ses.verify_domain_identity(Domain=address.split("@", 1)[1])


def _placeholder_zip() -> bytes:
    """moto's CreateFunction wants code; the runtime runs CodeUri instead."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("README.txt", "El código corre desde CodeUri en la nube local.\n")
    return buf.getvalue()


def _create_table(ddb: Any, name: str, props: Mapping[str, Any]) -> None:
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
    }
    on_demand = props.get("BillingMode") == "PAY_PER_REQUEST" or not props.get(
        "ProvisionedThroughput"
    )
    if on_demand:
        kwargs["BillingMode"] = "PAY_PER_REQUEST"
    else:
        kwargs["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(key):
            indexes = [dict(index) for index in props[key]]
            if on_demand:
                for index in indexes:
                    index.pop("ProvisionedThroughput", None)
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
