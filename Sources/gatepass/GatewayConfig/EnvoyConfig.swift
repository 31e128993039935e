/// A complete Envoy bootstrap (`static_resources`) with the ext_authz filter in gRPC or
/// HTTP mode, its cluster, and the listener and upstream it protects.
///
/// The listener keeps the request-target as the client sent it (`normalize_path: false`,
/// `merge_slashes: false`, escaped slashes kept), so the service decides on exactly what
/// the upstream receives; Gatepass normalises and refuses ambiguous paths itself. A
/// request head must arrive within 10 s (`request_headers_timeout`; slow clients).
struct EnvoyConfig {
    var facts: GatewayFacts
    var grpc: Bool
    var options: GatewayRenderOptions

    func render() -> String {
        var out = options.header(comment: "#")
        out += """
        static_resources:
          listeners:
          - name: gatepass_ingress
            address:
              socket_address: { address: \(yamlHost(options.listen.host)), port_value: \(options.listen.port) }
            filter_chains:
            - filters:
              - name: envoy.filters.network.http_connection_manager
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                  stat_prefix: gatepass_ingress
                  # Keep the raw request-target: the decision service sees what the upstream gets.
                  normalize_path: false
                  merge_slashes: false
                  path_with_escaped_slashes_action: KEEP_UNCHANGED
                  # A client must send its whole request head within 10 s (Envoy's default is no
                  # limit: a client trickling its headers would hold the connection).
                  request_headers_timeout: 10s
                  route_config:
                    name: gatepass_routes
                    virtual_hosts:
                    - name: protected
                      domains: ["*"]
                      routes:
                      - match: { prefix: "/" }
                        route: { cluster: gatepass_upstream }
                  http_filters:

        """
        out += grpc ? grpcFilter() : httpFilter()
        out += """
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
          clusters:

        """
        out += cluster(name: grpc ? "gatepass_grpc" : "gatepass_http", addresses: options.services, http2: grpc, decisionService: true)
        out += cluster(name: "gatepass_upstream", addresses: [options.upstream], http2: false)
        return out
    }

    /// Token headers, `cookie`, and every spelling of every claim header (so the service
    /// sees a client's copy and removes it).
    var allowedHeaders: String {
        var lines = facts.tokenHeaders.map { "- { exact: \(quoted($0)), ignore_case: true }" }
        lines.append("- { exact: \"cookie\", ignore_case: true }")
        lines += facts.claimHeaders.map { "- safe_regex: { regex: \(quoted("(?i)" + GatewayFacts.spellingPattern(of: $0))) }" }
        return lines.map { "                " + $0 + "\n" }.joined()
    }

    func filterHead() -> String {
        """
                  - name: envoy.filters.http.ext_authz
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
                      transport_api_version: V3
                      # Fail closed: no answer, an error or a timeout never lets a request through.
                      failure_mode_allow: false
                      status_on_error: { code: ServiceUnavailable }
                      allowed_headers:
                        patterns:

        """ + allowedHeaders
    }

    func grpcFilter() -> String {
        var out = filterHead() + """
                      grpc_service:
                        envoy_grpc:
                          cluster_name: gatepass_grpc
                        timeout: \(options.timeoutText)

        """
        if options.services.count > 1 || options.services.contains(where: { !$0.isIPLiteral }) {
            // The retry policy of `GrpcService` itself: the one inside `envoy_grpc` only
            // re-establishes xDS streams and never retries a Check.
            out += """
                            # Several replicas: a check that cannot reach a replica, or that a replica
                            # without a bundle answers UNAVAILABLE, is retried once on another one.
                            retry_policy:
                              retry_on: "connect-failure,refused-stream,reset,unavailable"
                              num_retries: 1
                              retry_back_off: { base_interval: 0.01s, max_interval: 0.05s }
                              # Never on the replica that just failed.
                              retry_host_predicate:
                              - name: envoy.retry_host_predicates.previous_hosts
                                typed_config: { "@type": type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate }
                              host_selection_retry_max_attempts: 3

            """
        }
        return out
    }

    func httpFilter() -> String {
        var upstream = facts.claimHeaders.map { "- { exact: \(quoted($0)), ignore_case: true }" }
        upstream.append("- { exact: \"cookie\", ignore_case: true }")
        return filterHead() + """
                      http_service:
                        server_uri:
                          uri: http://\(options.service)
                          cluster: gatepass_http
                          timeout: \(options.timeoutText)
                        path_prefix: \(quoted(options.httpPathPrefix))
                        authorization_response:
                          # Claims overwrite the client's copies; `cookie` carries a cookie token's removal.
                          allowed_upstream_headers:
                            patterns:

        """ + upstream.map { "                    " + $0 + "\n" }.joined() + """
                          allowed_client_headers:
                            patterns:
                            - { exact: "www-authenticate", ignore_case: true }
                            - { exact: "content-type", ignore_case: true }
                            - { prefix: "x-gatepass-", ignore_case: true }

        """
    }

    /// A cluster of `addresses`. The decision service's cluster with several replicas is
    /// balanced round robin, health-checked (gRPC: `grpc.health.v1.Health`, which turns
    /// NOT_SERVING as soon as a replica starts shutting down; HTTP: `/readyz` on the same
    /// listener is not served there, so TCP checks), and ejects a failing replica
    /// (outlier detection on gateway errors).
    func cluster(name: String, addresses: [GatewayAddress], http2: Bool, decisionService: Bool = false) -> String {
        // A DNS name counts as several: a Kubernetes headless Service resolves to every ready pod.
        let balanced = decisionService && (addresses.count > 1 || addresses.contains(where: { !$0.isIPLiteral }))
        var out = """
          - name: \(name)
            type: \(addresses.allSatisfy(\.isIPLiteral) ? "STATIC" : "STRICT_DNS")
            connect_timeout: 1s

        """
        if balanced {
            out += """
                lb_policy: ROUND_ROBIN
                # No panic mode: below 50% healthy Envoy would spread checks over unhealthy replicas too.
                common_lb_config: { healthy_panic_threshold: { value: 0 } }
                outlier_detection:
                  consecutive_gateway_failure: 2
                  consecutive_5xx: 2
                  interval: 1s
                  base_ejection_time: 10s
                  max_ejection_percent: 50
                health_checks:
                - timeout: 0.5s
                  interval: 1s
                  unhealthy_threshold: 1
                  healthy_threshold: 1
                  no_traffic_interval: 1s

            """
            out += http2
                ? "      grpc_health_check: { service_name: \"envoy.service.auth.v3.Authorization\" }\n"
                : "      tcp_health_check: {}\n"
        }
        if http2 {
            out += """
                typed_extension_protocol_options:
                  envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
                    "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                    explicit_http_config: { http2_protocol_options: {} }

            """
        }
        out += """
            load_assignment:
              cluster_name: \(name)
              endpoints:
              - lb_endpoints:

        """
        for address in addresses {
            out += """
                    - endpoint:
                        address:
                          socket_address: { address: \(yamlHost(address.host)), port_value: \(address.port) }

            """
        }
        return out
    }

    func yamlHost(_ host: String) -> String { host.contains(":") ? quoted(host) : host }
}

/// A double-quoted YAML / JSON string.
func quoted(_ text: String) -> String {
    var out = "\""
    for character in text {
        switch character {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default: out.append(character)
        }
    }
    return out + "\""
}
