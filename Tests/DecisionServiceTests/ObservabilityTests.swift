@testable import DecisionService
import Foundation
import Logging
import NIOHTTP1
import Runtime
import XCTest

/// Metrics and decision logs: bounded labels, the fields promised in docs/deployment.md,
/// and never a token, a query value or a cookie value.
final class ObservabilityTests: XCTestCase {
    func testDecisionsAreCountedByTransportOutcomeReasonAndEntry() throws {
        let fixture = try ServiceFixture()
        let core = DecisionCore(holder: fixture.holder, logger: Logger(label: "test"), clock: { ServiceFixture.now })
        _ = core.decide(HTTPRequest(method: "GET", host: "api.example.com", target: "/v1/x",
                                    headers: [HTTPHeader("authorization", "Bearer \(fixture.token())")]), transport: "grpc")
        _ = core.decide(HTTPRequest(method: "GET", host: "api.example.com", target: "/v1/x", headers: []), transport: "grpc")
        _ = core.decide(HTTPRequest(method: "GET", host: "www.example.com", target: "/", headers: []), transport: "forward-auth")
        _ = core.refuse("test", transport: "http")
        let text = core.metrics.render()
        for line in [
            #"gatepass_decisions_total{transport="grpc",outcome="allow",reason="authenticated",entry="api"} 1"#,
            #"gatepass_decisions_total{transport="grpc",outcome="deny",reason="token_missing",entry="none"} 1"#,
            #"gatepass_decisions_total{transport="forward-auth",outcome="allow",reason="no_auth_required",entry="none"} 1"#,
            #"gatepass_bad_input_total{transport="http"} 1"#,
            #"gatepass_decision_duration_seconds_count{transport="grpc"} 2"#,
            "# HELP gatepass_decisions_total ", "# TYPE gatepass_decision_duration_seconds histogram",
            #"gatepass_decision_duration_seconds_bucket{transport="grpc",le="0.000005"}"#,
        ] {
            XCTAssertTrue(text.contains(line), "missing `\(line)` in\n\(text)")
        }
        XCTAssertFalse(text.contains("/v1/x"), "paths never become label values")
        XCTAssertFalse(text.contains("alice"), "subjects never become label values")
    }

    func testTheVerifiedTokenCacheIsExportedAtEachScrape() throws {
        let fixture = try ServiceFixture()
        let core = DecisionCore(holder: fixture.holder, logger: Logger(label: "test"), clock: { ServiceFixture.now })
        let request = HTTPRequest(method: "GET", host: "api.example.com", target: "/v1/x",
                                  headers: [HTTPHeader("authorization", "Bearer \(fixture.token())")])
        for _ in 0..<3 { _ = core.decide(request, transport: "grpc") }
        let admin = AdminEndpoint(core: core)
        let scrape = { admin.reply(to: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/metrics"), peer: nil).body }
        var text = scrape()
        for line in ["gatepass_token_cache_hits_total 2", "gatepass_token_cache_misses_total 1", "gatepass_token_cache_entries 1",
                     "gatepass_token_cache_evictions_total 0", "gatepass_token_cache_capacity 9984"] {
            XCTAssertTrue(text.contains(line), "missing `\(line)` in\n\(text)")
        }
        _ = core.decide(request, transport: "grpc")
        text = scrape()
        XCTAssertTrue(text.contains("gatepass_token_cache_hits_total 3"), "counters follow the cache, not double-counted per scrape")
    }

    func testDecisionLogLinesCarryTheFieldsAndNoSecrets() async throws {
        let fixture = try ServiceFixture()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-decisions-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        let log = try DecisionLog(path: file.path, subjectMode: .hashed)
        let core = DecisionCore(holder: fixture.holder, logger: Logger(label: "test"), decisionLog: log, clock: { ServiceFixture.now })
        let token = fixture.token()
        _ = core.decide(HTTPRequest(method: "POST", host: "api.example.com", target: "/v1/orders?access_token=\(token)&q=secret-query",
                                    headers: [HTTPHeader("x-request-id", "req-1"), HTTPHeader("cookie", "theme=cookie-value")]),
                        transport: "grpc")
        _ = core.decide(HTTPRequest(method: "GET", host: "api.example.com", target: "/v1/x",
                                    headers: [HTTPHeader("authorization", "Bearer \(token)")]), transport: "http")
        // Write the buffer as the writer does every flush interval.
        await log.finishForTesting()
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2)
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(first["request_id"] as? String, "req-1")
        XCTAssertEqual(first["path"] as? String, "/v1/orders", "the query is left out")
        XCTAssertEqual(first["method"] as? String, "POST")
        XCTAssertEqual(first["outcome"] as? String, "allow")
        XCTAssertEqual(first["entry"] as? String, "api")
        XCTAssertEqual(first["issuer"] as? String, "https://issuer.example.com")
        XCTAssertEqual(first["kid"] as? String, "k1")
        XCTAssertEqual(first["revision"] as? String, fixture.program.manifest.revision)
        XCTAssertEqual(first["status"] as? Int, 200)
        XCTAssertNotNil(first["latency_us"] as? Int)
        XCTAssertEqual(first["time"] as? String, "2026-01-01T00:00:00.000Z")
        let sub = try XCTUnwrap(first["sub"] as? String)
        XCTAssertTrue(sub.hasPrefix("sha256:") && sub.count == 23, sub)
        XCTAssertNotEqual(sub, "alice")
        for line in lines {
            XCTAssertFalse(line.contains(token), "a token reached the decision log")
            XCTAssertFalse(line.contains(String(token.split(separator: ".")[2])), "a signature reached the decision log")
            XCTAssertFalse(line.contains("secret-query"), "a query value reached the decision log")
            XCTAssertFalse(line.contains("cookie-value"), "a cookie value reached the decision log")
            XCTAssertFalse(line.contains("alice"), "the hashed mode names no subject")
        }
    }

    func testAFullBufferDropsAndCountsInsteadOfBlocking() async throws {
        let fixture = try ServiceFixture()
        let metrics = ServiceMetrics()
        let log = try DecisionLog(path: "/dev/null", capacity: 3, metrics: metrics)
        let core = DecisionCore(holder: fixture.holder, logger: Logger(label: "test"), metrics: metrics, decisionLog: log,
                                clock: { ServiceFixture.now })
        // No writer runs: the buffer takes three lines and drops the other seven.
        for _ in 0..<10 { _ = core.decide(HTTPRequest(method: "GET", host: "www.example.com", target: "/", headers: []), transport: "grpc") }
        XCTAssertTrue(metrics.render().contains("gatepass_decision_log_dropped_total 7"), metrics.render())
    }

    func testSamplingLogsExactlyTheFraction() {
        var logged = 0
        for n in 0..<10_000 where DecisionLog.sampled(n, rate: 0.25) { logged += 1 }
        XCTAssertEqual(logged, 2_500)
        XCTAssertFalse((0..<100).contains { DecisionLog.sampled($0, rate: 0) })
        XCTAssertTrue((0..<100).allSatisfy { DecisionLog.sampled($0, rate: 1) })
    }

    func testJSONEscapingAndBounds() {
        XCTAssertEqual(JSONLine.quoted("a\"b\\c\n\u{01}\u{2028}"), #""a\"b\\c\n\u0001\u2028""#)
        XCTAssertEqual(DecisionLog.bounded(String(repeating: "é", count: 10), 5), "éé…")
        XCTAssertEqual(DecisionLog.timestamp(1_767_225_600.5), "2026-01-01T00:00:00.500Z")
    }

    func testReadinessFollowsTheBundleAndShutdown() throws {
        let fixture = try ServiceFixture()
        XCTAssertTrue(fixture.core.isReady)
        XCTAssertFalse(ServiceFixture.emptyCore().isReady)
        fixture.core.beginDraining()
        XCTAssertFalse(fixture.core.isReady)
        let admin = AdminEndpoint(core: fixture.core)
        XCTAssertEqual(admin.reply(to: .init(version: .http1_1, method: .GET, uri: "/readyz"), peer: nil).status, 503)
        XCTAssertEqual(admin.reply(to: .init(version: .http1_1, method: .GET, uri: "/healthz"), peer: nil).status, 200)
        XCTAssertTrue(admin.reply(to: .init(version: .http1_1, method: .GET, uri: "/metrics"), peer: nil).body.contains("gatepass_ready 0"))
    }
}
