/// A Caddyfile site block that asks the decision service with `forward_auth`.
///
/// Inside one `route` (so the order is the written one): every `-`/`_` spelling of every
/// forwarded-claim header is deleted first (GHSA-7r4p-vjf4-gxv4: Caddy keeps a client's
/// copy when the auth response lacks the header), then the service is asked (`forward_auth`, written
/// out) and the claims are copied from its answer, then token headers the policy removes are deleted.
struct CaddyConfig {
    var facts: GatewayFacts
    var options: GatewayRenderOptions

    /// Go's canonical header spelling (`X-User-Id`): Caddy's response-header placeholders use it.
    static func canonical(_ header: String) -> String {
        header.split(separator: "-", omittingEmptySubsequences: false)
            .map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }
            .joined(separator: "-")
    }

    func render() -> String {
        var out = options.header(comment: "#")
        // Every host: the policy decides by host, not the site address.
        out += "http://:\(options.listen.port) {\n"
        out += "\tbind \(options.listen.host)\n"
        out += "\troute {\n"
        if !facts.claimHeaders.isEmpty {
            out += "\t\t# A client's copy of a claim header never reaches the upstream, in any spelling.\n"
        }
        for header in facts.claimHeaders {
            for spelling in GatewayFacts.spellings(of: header) {
                out += "\t\trequest_header -\(spelling)\n"
            }
        }
        // `forward_auth` written out as the `reverse_proxy` it stands for: Caddy 2.6's
        // `copy_headers` sets a claim the service did not send to the unreplaced placeholder
        // text, so that text is deleted again (only Caddy writes it: the client's copy is gone).
        out += "\t\treverse_proxy \(options.service) {\n"
        out += "\t\t\tmethod GET\n"
        out += "\t\t\trewrite /\n"
        out += "\t\t\theader_up X-Forwarded-Method {method}\n"
        out += "\t\t\theader_up X-Forwarded-Uri {uri}\n"
        // Overwritten, so a client's own copies can never disagree with (or stand in for) the real ones.
        out += "\t\t\theader_up X-Original-Method {method}\n"
        out += "\t\t\theader_up X-Original-URI {uri}\n"
        out += "\t\t\ttransport http {\n"
        out += "\t\t\t\tdial_timeout \(options.timeoutMilliseconds)ms\n"
        out += "\t\t\t\tresponse_header_timeout \(options.timeoutMilliseconds)ms\n"
        out += "\t\t\t}\n"
        out += "\t\t\t@gatepass_allowed status 2xx\n"
        out += "\t\t\thandle_response @gatepass_allowed {\n"
        out += "\t\t\t\troute {\n"
        for (index, header) in facts.claimHeaders.enumerated() {
            let name = Self.canonical(header)
            out += "\t\t\t\t\trequest_header \(name) {http.reverse_proxy.header.\(name)}\n"
            out += "\t\t\t\t\t@gatepass_unset_\(index) header_regexp \(name) ^\\{http\\.reverse_proxy\\.header\\.\n"
            out += "\t\t\t\t\trequest_header @gatepass_unset_\(index) -\(name)\n"
        }
        out += "\t\t\t\t}\n"
        out += "\t\t\t}\n"
        out += "\t\t}\n"
        for header in facts.removedTokenHeaders {
            out += "\t\trequest_header -\(header)\n"
        }
        out += "\t\treverse_proxy \(options.upstream)\n"
        out += "\t}\n"
        out += "}\n"
        return out
    }
}
