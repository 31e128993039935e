"""The decision service stopped: every gateway, with its generated configuration, fails
closed: no request reaches the upstream, protected or public."""
import pytest

from conftest import GATEWAYS, deploy, stop


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_gateway_fails_closed_when_the_service_is_stopped(gateway, workdir, bundles, upstream, keys):
    deployment = deploy(gateway, workdir, bundles, upstream)
    try:
        assert deployment.request("/public/x").reached_upstream
        deployment.service.stop()
        for target, headers in (("/public/x", []), ("/admin/users", [("Authorization", "Bearer " + keys.token())])):
            response = deployment.request(target, headers=headers)
            print(f"{gateway} without the service: {target} -> {response.status}")
            assert not response.reached_upstream, response
            assert response.status >= 403, response
            if gateway.startswith("envoy"):
                assert response.status == 503, "status_on_error: ServiceUnavailable"
    finally:
        stop(deployment)
