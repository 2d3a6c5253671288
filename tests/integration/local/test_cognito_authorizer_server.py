"""The JWT authorizer in server mode: the gateway reads the user pool's keys from moto's server
(the issuer's amazonaws.com URL rewritten to it), not from the internet."""

from __future__ import annotations

import pytest

from localcloud import LocalCloud
from tests.integration.local.test_cognito_authorizer import TEMPLATE, _get, _sign_up, _tokens

pytestmark = pytest.mark.integration


def test_the_server_mode_gateway_reads_the_keys_from_motos_server() -> None:
    with LocalCloud(TEMPLATE, port=0, lambda_workers=False, prewarm=False) as running:
        _sign_up(running)
        token = _tokens(running)["AccessToken"]
        assert _get(running, "/admin", token)[0] == 200
        assert _get(running, "/admin", token + "x")[0] == 401
