"""The embedded local cloud: a SAM template run on one machine.

moto is the AWS API; this package adds what moto does not do (an HTTP API gateway, SQS pollers,
Lambda handlers run in worker processes or in-process, schedules, a mailbox for SES) and
provisions everything from the template. It knows no product: it learns one through its template
(resources, layers' ContentUri, `Metadata: LocalCloud`) and through the hooks its caller passes
to `LocalCloud` (seeders, cache resets).

    from localcloud import LocalCloud

    with LocalCloud("template.yaml", port=0, seeders=[seed], on_reset=[forget_clients]) as cloud:
        urllib.request.urlopen(cloud.gateway_url + "/hello")

Importing this package imports nothing else: worker processes start as `python -m
localcloud.workers` and must stay fast, so `LocalCloud` and `local_cloud_inprocess` load on first
use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.runner import LocalCloud
    from localcloud.testing import local_cloud_inprocess

__all__ = ["LocalCloud", "local_cloud_inprocess"]


def __getattr__(name: str) -> Any:
    if name == "LocalCloud":
        from localcloud.runner import LocalCloud

        return LocalCloud
    if name == "local_cloud_inprocess":
        from localcloud.testing import local_cloud_inprocess

        return local_cloud_inprocess
    raise AttributeError(f"module 'localcloud' has no attribute {name!r}")
