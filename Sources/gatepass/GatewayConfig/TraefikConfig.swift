/// Traefik dynamic configuration (file provider): a router through three middlewares:
/// claim headers deleted, `forwardAuth` to the decision service with `authResponseHeaders`,
/// removed token headers deleted. The entry point (`--listen`) belongs to Traefik's static
/// configuration, shown in a comment.
struct TraefikConfig {
    var facts: GatewayFacts
    var options: GatewayRenderOptions

    func render() -> String {
        var out = options.header(comment: "#")
        out += """
        # Static configuration (traefik.yml):
        #   entryPoints:
        #     gatepass:
        #       address: "\(options.listen)"
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
        out += (facts.claimHeaders + ["X-Original-Method", "X-Original-URI"]).map { "          \(quoted($0)): \"\"\n" }.joined()
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
