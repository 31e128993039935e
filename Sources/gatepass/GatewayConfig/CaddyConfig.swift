/// A Caddyfile site block that asks the decision service with `forward_auth`.
///
/// Inside one `route` (so the order is the written one): every `-`/`_` spelling of every
/// forwarded-claim header is deleted first (GHSA-7r4p-vjf4-gxv4: Caddy keeps a client's
/// copy when the auth response lacks the header), then `forward_auth` copies the claims
/// from the service's answer, then token headers the policy removes are deleted.
struct CaddyConfig {
    var facts: GatewayFacts
    var options: GatewayRenderOptions

    func render() -> String {
        var out = options.header(comment: "#")
        out += "http://\(options.listen) {\n"
        out += "\troute {\n"
        if !facts.claimHeaders.isEmpty {
            out += "\t\t# A client's copy of a claim header never reaches the upstream, in any spelling.\n"
        }
        for header in facts.claimHeaders {
            for spelling in GatewayFacts.spellings(of: header) {
                out += "\t\trequest_header -\(spelling)\n"
            }
        }
        out += "\t\tforward_auth \(options.service) {\n"
        out += "\t\t\turi /\n"
        out += "\t\t\theader_up X-Forwarded-Method {method}\n"
        out += "\t\t\theader_up X-Forwarded-Uri {uri}\n"
        if !facts.claimHeaders.isEmpty {
            out += "\t\t\tcopy_headers \(facts.claimHeaders.joined(separator: " "))\n"
        }
        out += "\t\t\ttransport http {\n"
        out += "\t\t\t\tdial_timeout \(options.timeoutMilliseconds)ms\n"
        out += "\t\t\t\tresponse_header_timeout \(options.timeoutMilliseconds)ms\n"
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
