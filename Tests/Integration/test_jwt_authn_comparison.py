"""The same requests through Envoy's own `jwt_authn` filter, configured for the `gw-api`
entry with the settings Envoy ships with, and through Envoy + ext_authz gRPC -> Gatepass.
Prints a table of where they differ (kept in docs/deployment.md); asserts only Gatepass."""
import json
import os

from conftest import ENVOY, deploy, start_gateway, stop
from harness import free_port, raw_request
from policy_fixture import ADMIN_HOST, API_HOST, issuer

REQUESTS = [
    ("/admin/users", API_HOST),
    ("/x/../admin/users", API_HOST),
    ("/public/../admin/users", API_HOST),
    ("/public/%2e%2e/admin/users", API_HOST),
    ("//admin/users", API_HOST),
    ("/%61dmin/users", API_HOST),
    ("/ADMIN/users", API_HOST),
    ("/admin;jsessionid=1/users", API_HOST),
    ("/admin%2Fusers", API_HOST),
    ("/admin/users", API_HOST + ":8443"),
    ("/admin/users", API_HOST + "."),
    ("/settings", ADMIN_HOST),
    ("/settings", ADMIN_HOST + ":8443"),
    ("/settings", ADMIN_HOST + "."),
]


def jwt_authn_config(keys, listen, upstream_port):
    per_route = ('typed_per_filter_config: { envoy.filters.http.jwt_authn: { "@type": '
                 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig, requirement_name: gw_api } }')
    jwks = json.dumps(keys.jwks_json())
    return f"""static_resources:
  listeners:
  - name: jwt_authn_ingress
    address: {{ socket_address: {{ address: 127.0.0.1, port_value: {listen} }} }}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: jwt_authn_ingress
          route_config:
            virtual_hosts:
            - name: admin
              domains: ["{ADMIN_HOST}"]
              routes:
              - match: {{ prefix: "/" }}
                route: {{ cluster: upstream }}
                {per_route}
            - name: api
              domains: ["{API_HOST}"]
              routes:
              - match: {{ path_separated_prefix: "/admin" }}
                route: {{ cluster: upstream }}
                {per_route}
              - match: {{ prefix: "/" }}
                route: {{ cluster: upstream }}
            - name: other
              domains: ["*"]
              routes:
              - match: {{ prefix: "/" }}
                route: {{ cluster: upstream }}
          http_filters:
          - name: envoy.filters.http.jwt_authn
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication
              providers:
                gw_api:
                  issuer: {issuer("gw-api")}
                  audiences: [gw-api]
                  local_jwks: {{ inline_string: {jwks} }}
                  from_headers: [{{ name: Authorization, value_prefix: "Bearer " }}]
                  forward: false
                  claim_to_headers:
                  - {{ header_name: x-user-id, claim_name: sub }}
              requirement_map:
                gw_api: {{ provider_name: gw_api }}
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: upstream
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: upstream
      endpoints:
      - lb_endpoints:
        - endpoint: {{ address: {{ socket_address: {{ address: 127.0.0.1, port_value: {upstream_port} }} }} }}
"""


def outcome(response):
    return f"{response.status} upstream" if response.reached_upstream else str(response.status)


def test_jwt_authn_and_gatepass_on_the_same_requests(workdir, bundles, upstream, keys):
    directory = os.path.join(workdir, f"jwt-authn-{free_port()}")
    listen = free_port()
    jwt_authn = start_gateway("envoy-jwt-authn", directory, jwt_authn_config(keys, listen, upstream.port), listen)
    gatepass = None
    try:
        gatepass = deploy("envoy-grpc", workdir, bundles, upstream)
        token = keys.token()
        valid_jwt = raw_request(listen, "GET", "/admin/users", API_HOST, [("Authorization", "Bearer " + token)])
        assert valid_jwt.reached_upstream, f"jwt_authn accepts the valid token: {valid_jwt}"
        decisions = gatepass.policy.eval([("GET", host, target, []) for target, host in REQUESTS])
        rows, gatepass_leaks = [], []
        for (target, host), decision in zip(REQUESTS, decisions):
            through_jwt = raw_request(listen, "GET", target, host)
            through_gatepass = gatepass.request(target, host=host)
            rows.append((target, host, outcome(through_jwt), outcome(through_gatepass), f"{decision['status']} {decision['reason']}"))
            if decision["decision"] != "allow" and through_gatepass.reached_upstream:
                gatepass_leaks.append((target, host))
        print("\n| request | host | jwt_authn (no token) | Gatepass (no token) | gatepass eval |")
        print("|---|---|---|---|---|")
        for row in rows:
            marker = " **differs**" if ("upstream" in row[2]) != ("upstream" in row[3]) else ""
            print(f"| `{row[0]}` | `{row[1]}` | {row[2]}{marker} | {row[3]} | {row[4]} |")
        assert not gatepass_leaks, gatepass_leaks
    finally:
        if gatepass:
            stop(gatepass)
        jwt_authn.stop()
