"""The embedded local cloud: moto as the AWS API plus what moto does not do (gateway, pollers,
in-process Lambda, schedules, mailbox), provisioned from template.yaml."""

import logging as _logging

# The local runtime's own lines are the operator's console, not Lambda logs: they must not flow
# into the Powertools JSON logger ("postventa"), which would stamp them with the context of
# whichever function ran last.
_log = _logging.getLogger(__name__)
_log.propagate = False
if not _log.handlers:
    _handler = _logging.StreamHandler()
    _handler.setFormatter(_logging.Formatter("%(asctime)s local  %(message)s", "%H:%M:%S"))
    _log.addHandler(_handler)
    _log.setLevel(_logging.INFO)
