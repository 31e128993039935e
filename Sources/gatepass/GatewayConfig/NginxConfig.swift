/// An nginx `upstream` and `server` block (for the `http` context) that asks the decision
/// service through `auth_request` before proxying.
///
/// The auth subrequest carries the raw request-target (`$request_uri`), the method and the
/// `Host` as the client sent them, overwriting any client-sent `X-Forwarded-*` or
/// `X-Original-*` copy. Every forwarded-claim header is set from the service's answer
/// (`auth_request_set` + `proxy_set_header`), so a client's copy never reaches the
/// upstream; aliases (`x_user_id`, `x.user.id`) are dropped by `underscores_in_headers off`
/// and `ignore_invalid_headers on`.
struct NginxConfig {
    var facts: GatewayFacts
    var options: GatewayRenderOptions

    static func variable(for header: String) -> String {
        "gatepass_claim_" + String(header.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    static func upstreamVariable(for header: String) -> String {
        "upstream_http_" + String(header.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    func render() -> String {
        var out = options.header(comment: "#")
        let seconds = options.timeoutMilliseconds
        out += """
        upstream gatepass_upstream {
            server \(options.upstream);
        }
        """ + (options.services.count > 1 ? """


        # The decision service replicas: round robin; a replica that fails is skipped for 10s,
        # and a failed check is tried on the next one (never answered as an allow).
        upstream gatepass_decision {
        \(options.services.map { "    server \($0) max_fails=1 fail_timeout=10s;" }.joined(separator: "\n"))
        }
        """ : "") + """


        server {
            listen \(options.listen);
            # A client header spelled with `_` (x_user_id) is dropped, never passed on.
            underscores_in_headers off;
            ignore_invalid_headers on;
            # Keep the raw request-target: Gatepass decides on what the upstream receives.
            merge_slashes off;

            location = /_gatepass/auth {
                internal;
                proxy_pass http://\(options.services.count > 1 ? "gatepass_decision" : options.service.description)/;
        """ + (options.services.count > 1 ? """

                proxy_next_upstream error timeout http_502 http_503 http_504;
                proxy_next_upstream_tries 2;
        """ : "") + """

                proxy_pass_request_body off;
                proxy_set_header Content-Length "";
                proxy_set_header Host $http_host;
                proxy_set_header X-Forwarded-Method $request_method;
                proxy_set_header X-Original-Method $request_method;
                proxy_set_header X-Forwarded-Uri $request_uri;
                proxy_set_header X-Original-URI $request_uri;
                proxy_set_header X-Forwarded-Host $http_host;
                proxy_set_header X-Forwarded-Proto $scheme;
                # bad_request comes back as 403 + x-gatepass-status: 400 (nginx turns other statuses into 500).
                proxy_set_header X-Gatepass-Gateway nginx;
                proxy_connect_timeout \(seconds)ms;
                proxy_send_timeout \(seconds)ms;
                proxy_read_timeout \(seconds)ms;
            }

            location @gatepass_denied {
                default_type application/json;
                if ($gatepass_status = 400) {
                    return 400 '{"reason":"bad_request"}';
                }
                add_header WWW-Authenticate $gatepass_www_authenticate always;
                return 403 '{"reason":"$gatepass_reason"}';
            }

            location / {
                auth_request /_gatepass/auth;
                auth_request_set $gatepass_status $upstream_http_x_gatepass_status;
                auth_request_set $gatepass_reason $upstream_http_x_gatepass_reason;
                auth_request_set $gatepass_www_authenticate $upstream_http_www_authenticate;

        """
        for header in facts.claimHeaders {
            out += "        auth_request_set $\(Self.variable(for: header)) $\(Self.upstreamVariable(for: header));\n"
        }
        out += """
                error_page 403 = @gatepass_denied;

                proxy_pass http://gatepass_upstream;
                proxy_http_version 1.1;
                proxy_set_header Host $http_host;
                proxy_set_header Connection "";

        """
        for header in facts.claimHeaders {
            out += "        proxy_set_header \(header) $\(Self.variable(for: header));\n"
        }
        for header in facts.removedTokenHeaders {
            out += "        proxy_set_header \(header) \"\";\n"
        }
        out += """
            }
        }

        """
        return out
    }
}
