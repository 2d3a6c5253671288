"""Work moto repeats although its answer cannot change, done once or done cheaper.

- In server mode every AWS call of every function crosses moto's WSGI dispatcher in this process,
  under one lock; per request it lists moto's ~180 package directories on disk (`os.listdir` and
  an `isdir` each) and tries the services' URL patterns in turn to find the backend for the
  request's host. The answer depends only on the host name: it is remembered per host.
- Every request: moto lists the response class's methods with `inspect.getmembers` to check the
  action exists (the class never changes), and turns CamelCase names into snake_case with
  regular expressions (the action; every SQS attribute name on every SendMessage). Both answers
  depend only on their argument: they are remembered.
- Step Functions: every execution parses its state machine's whole definition with moto's ANTLR
  grammar (a tenth to a quarter of a second of one core for a dozen states) and every JSONPath
  it evaluates with jsonpath-ng's parser. The parse of a definition is kept (pickled) and each
  execution gets its own copy of the resulting program (about a millisecond; no state is shared
  between executions, exactly as with a fresh parse); a parsed JSONPath expression is only read
  by `find`, so one is kept per path.
- SQS: whether a message is visible or delayed is decided, for every message of the queue, on
  every SendMessage (which computes the queue's attributes, counts included, to read one flag),
  ReceiveMessage and GetQueueAttributes; moto builds two datetimes per message to read the
  clock. Reading `time.time()` instead gives the same milliseconds since the epoch that moto's
  `unix_time_millis()` does (both are the system clock), and a queue with a backlog of a
  thousand messages stops costing tens of milliseconds per call.

Nothing moto answers changes; only how long it takes.
"""

from __future__ import annotations

import copy
import pickle
import time
from typing import Any

from localcloud.patching import MotoPatch


def _backend_for_host(self: Any, host: str | None) -> Any:
    known = BACKEND_FOR_HOST.owner
    if known is None:
        return BACKEND_FOR_HOST.original(self, host)
    if host not in known:  # moto calls this under its dispatcher's lock
        known[host] = BACKEND_FOR_HOST.original(self, host)
    return known[host]


def _now_millis() -> float:
    return time.time() * 1000.0


def _visible(self: Any) -> bool:
    return bool(_now_millis() > self.visible_at)


def _delayed(self: Any) -> bool:
    return bool(_now_millis() < self.delayed_until)


def _remembered(patch: MotoPatch[Any]) -> Any:
    """`patch.original`, remembering its answer per argument while an owner is installed."""
    answers: dict[Any, Any] = {}

    def remembered(argument: Any) -> Any:
        if patch.owner is None:
            return patch.original(argument)
        if argument not in answers:
            answers[argument] = patch.original(argument)
        return answers[argument]

    return remembered


def _pure(module: str, name: str) -> MotoPatch[object]:
    patch: MotoPatch[object] = MotoPatch(module, name, None)
    patch.replacement = _remembered(patch)
    return patch


#: Installed by a server-mode LocalCloud with an empty dict (host -> backend name) as owner.
BACKEND_FOR_HOST: MotoPatch[dict[str | None, Any]] = MotoPatch(
    "moto.moto_server.werkzeug_app:DomainDispatcherApplication",
    "get_backend_for_host",
    _backend_for_host,
)
#: Installed by every LocalCloud while it runs (same answers as moto's properties).
MESSAGE_VISIBLE: MotoPatch[object] = MotoPatch(
    "moto.sqs.models:Message", "visible", property(_visible)
)
MESSAGE_DELAYED: MotoPatch[object] = MotoPatch(
    "moto.sqs.models:Message", "delayed", property(_delayed)
)


def _parse_definition(definition: str) -> Any:
    parsed = ASL_PARSE.owner
    if parsed is None:
        return ASL_PARSE.original(definition)
    if definition not in parsed:  # a definition that does not parse raises, and is not kept
        program, tree = ASL_PARSE.original(definition)
        try:
            parsed[definition] = (pickle.dumps(program), tree)
        except (pickle.PicklingError, TypeError, AttributeError):
            parsed[definition] = (copy.deepcopy(program), tree)
    kept, tree = parsed[definition]
    # A fresh program per execution, as a new parse gives: unpickling is a deep copy at a third
    # of copy.deepcopy's cost.
    return (pickle.loads(kept) if isinstance(kept, bytes) else copy.deepcopy(kept)), tree  # noqa: S301 - our own bytes


#: Installed by every LocalCloud with an empty dict (definition -> (program, parse tree)).
ASL_PARSE: MotoPatch[dict[str, Any]] = MotoPatch(
    "moto.stepfunctions.parser.asl.parse.asl_parser:AmazonStateLanguageParser",
    "parse",
    staticmethod(_parse_definition),
)

#: Functions whose answer depends only on their argument, where moto's request path calls them.
PURE_FUNCTIONS = (
    _pure("moto.core.responses", "method_names_from_class"),
    _pure("moto.core.responses", "camelcase_to_underscores"),
    _pure("moto.sqs.models", "camelcase_to_underscores"),
    _pure("moto.stepfunctions.parser.asl.utils.json_path", "parse"),
)
#: What every LocalCloud installs while it runs (in-process too: the same moto models), each
#: with the LocalCloud as owner.
ALWAYS = (MESSAGE_VISIBLE, MESSAGE_DELAYED, *PURE_FUNCTIONS)
