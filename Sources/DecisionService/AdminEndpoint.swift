public import NIOCore
public import NIOHTTP1

/// The admin listener: `GET /healthz` is 200 while the process serves; `GET /readyz` is
/// 200 with the revision once a bundle is active and its identity providers' key sets are
/// usable (`KeyRefresher.keysReady`), else 503 (also once shutdown began);
/// `GET /metrics` is the Prometheus text format; `GET /stats` gives the counters and the
/// handler latency per transport; `POST /stats/reset` clears the latencies.
public struct AdminEndpoint: HTTPEndpoint {
    public let transport = "admin"
    let core: DecisionCore

    public init(core: DecisionCore) {
        self.core = core
    }

    public func reply(to head: HTTPRequestHead, peer: SocketAddress?) -> HTTPReply {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? head.uri
        if path == "/stats/reset" {
            guard head.method == .POST else { return text(405, "method not allowed") }
            core.latency.reset()
            return text(200, "reset")
        }
        guard path == "/healthz" || path == "/readyz" || path == "/stats" || path == "/metrics" else { return text(404, "not found") }
        guard head.method == .GET || head.method == .HEAD else { return text(405, "method not allowed") }
        if path == "/healthz" { return text(200, "ok") }
        if path == "/metrics" {
            core.refreshReadiness()
            if let policy = core.holder.current { core.metrics.recordTokenCache(policy.tokenCacheStatistics) }
            return HTTPReply(status: 200, headers: [.init("content-type", "text/plain; version=0.0.4; charset=utf-8")],
                             body: core.metrics.render())
        }
        if path == "/stats" {
            let counters = core.counters
            return text(200, "allowed=\(counters.allowed) denied=\(counters.denied) bad_input=\(counters.badInput) "
                + "unavailable=\(counters.unavailable)\n" + core.latency.report())
        }
        if core.isDraining { return text(503, "not ready: shutting down") }
        guard let revision = core.revision else { return text(503, "not ready: no bundle active") }
        if !core.isReady { return text(503, "not ready: a key set from an identity provider is not loaded or past its maxStale") }
        return text(200, "ready revision=\(revision)")
    }

    public func badInputReply() -> HTTPReply { text(400, "bad request") }

    func text(_ status: Int, _ body: String) -> HTTPReply {
        HTTPReply(status: status, headers: [.init("content-type", "text/plain; charset=utf-8")], body: body + "\n")
    }
}
