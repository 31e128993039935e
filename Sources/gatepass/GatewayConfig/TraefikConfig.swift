/// Traefik dynamic configuration (file provider): a router through three middlewares:
/// claim headers deleted (every `-`/`_` spelling), `forwardAuth` to the decision service with `authResponseHeaders`,
/// removed token headers deleted. The entry point (`--listen`) belongs to Traefik's static
/// configuration, shown in a comment.
struct TraefikConfig {
    var facts: GatewayFacts
    var options: GatewayRenderOptions

    func render() -> String {
        var out = options.header(comment: "#")
        out += """
        # Static configuration (traefik.yml; Traefik 3.7.12 or later). aliasHeadersStrategy
        # deletes a client's x_user_id or x.user.id, which CGI-style backends read as x-user-id:
        #   entryPoints:
        #     gatepass:
        #       address: "\(options.listen)"
        #       http:
        #         aliasHeadersStrategy: delete
        #   providers:
        #     file: { filename: this-file.yml }
        http:
          routers:
            gatepass:
              entryPoints: [gatepass]
              rule: "PathPrefix(`/`)"
              middlewares: [gatepass-strip-claims, gatepass-auth, gatepass-strip-tokens]
              service: gatepass-upstream
          middlewares:
            gatepass-strip-claims:
              headers:
                customRequestHeaders:

        """
        // A client's X-Original-* would disagree with the X-Forwarded-* Traefik sets (the service refuses that).
        // Every `-`/`_` spelling too (the entry point's aliasHeadersStrategy covers the rest).
        let spellings = facts.claimHeaders.flatMap { GatewayFacts.spellings(of: $0) }
        out += (spellings + ["X-Original-Method", "X-Original-URI"]).map { "          \(quoted($0)): \"\"\n" }.joined()
        out += """
            gatepass-auth:
              forwardAuth:
                address: "http://\(options.service)/"
                trustForwardHeader: false
                authResponseHeaders:

        """
        out += facts.claimHeaders.isEmpty ? "          []\n" : facts.claimHeaders.map { "          - \(quoted($0))\n" }.joined()
        out += """
            gatepass-strip-tokens:
              headers:
                customRequestHeaders:

        """
        out += facts.removedTokenHeaders.isEmpty ? "          {}\n" : facts.removedTokenHeaders.map { "          \(quoted($0)): \"\"\n" }.joined()
        out += """
          services:
            gatepass-upstream:
              loadBalancer:
                servers:
                - url: "http://\(options.upstream)"

        """
        return out
    }
}
