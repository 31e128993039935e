import ExtAuthzProto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import XCTest

/// Starts the built `gatepassd` on loopback with port 0 listeners and talks to it with a
/// real grpc-swift client and curl.
final class GatepassdLoopbackTests: XCTestCase {
    func testServesEveryProtocolAndStopsOnSIGTERM() async throws {
        let fixture = try LoopbackFixture()
        defer { fixture.remove() }
        let daemon = try GatepassdProcess(["--bundle", fixture.bundle, "--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0",
                                           "--http-path-prefix", "/authz", "--forward-auth", "127.0.0.1:0", "--admin", "127.0.0.1:0"])
        var stopped = false
        defer { if !stopped { _ = daemon.stop() } }
        let addresses = try daemon.awaitListening()
        let grpc = try XCTUnwrap(addresses["grpc"], daemon.output)
        let http = try XCTUnwrap(addresses["http"], daemon.output)
        let forward = try XCTUnwrap(addresses["forward-auth"], daemon.output)
        let admin = try XCTUnwrap(addresses["admin"], daemon.output)
        XCTAssertNotNil(addresses["revision"])
        for address in [grpc, http, forward, admin] { XCTAssertFalse(address.hasSuffix(":0"), address) }

        // Admin.
        XCTAssertEqual(try LoopbackFixture.curl("http://\(admin)/healthz").status, 200, daemon.output)
        let ready = try LoopbackFixture.curl("http://\(admin)/readyz")
        XCTAssertEqual(ready.status, 200)
        XCTAssertTrue(ready.body.hasPrefix("ready revision="), ready.body)

        // Envoy HTTP mode.
        let token = fixture.token()
        let allowed = try LoopbackFixture.curl("http://\(http)/authz/v1/items", headers: ["Host: api.example.com", "Authorization: Bearer \(token)"])
        XCTAssertEqual(allowed.status, 200, daemon.output)
        XCTAssertEqual(allowed.headers["x-subject"], "alice")
        XCTAssertEqual(allowed.headers["x-envoy-auth-headers-to-remove"], "authorization")
        let overHTTP2 = try LoopbackFixture.curl("http://\(http)/authz/v1/items", headers: ["Host: api.example.com", "Authorization: Bearer \(token)"],
                                                 extra: ["--http2-prior-knowledge"])
        XCTAssertEqual(overHTTP2.status, 200, "cleartext HTTP/2 (prior knowledge) on the same port")
        XCTAssertEqual(overHTTP2.headers["x-subject"], "alice")
        let missing = try LoopbackFixture.curl("http://\(http)/authz/v1/items", headers: ["Host: api.example.com"])
        XCTAssertEqual(missing.status, 401)
        XCTAssertEqual(missing.headers["www-authenticate"], #"Bearer realm="gatepass""#)
        XCTAssertEqual(missing.body, #"{"reason":"token_missing","description":"a token is required"}"#)
        // Headers over --max-header-bytes (32 KiB by default): 400, never a decision on them.
        let bigHeaders = try LoopbackFixture.curl("http://\(http)/authz/v1/items",
                                                  headers: ["Host: api.example.com", "X-Padding: " + String(repeating: "a", count: 40_000)])
        XCTAssertEqual(bigHeaders.status, 400)
        XCTAssertEqual(bigHeaders.headers["x-gatepass-reason"], "bad_request")

        // Forward auth.
        let forwarded = try LoopbackFixture.curl("http://\(forward)/auth", headers: [
            "X-Forwarded-Method: GET", "X-Forwarded-Uri: /v1/items?x=1", "X-Forwarded-Host: api.example.com", "Authorization: Bearer \(token)",
        ])
        XCTAssertEqual(forwarded.status, 200)
        XCTAssertEqual(forwarded.headers["x-subject"], "alice")
        let noURI = try LoopbackFixture.curl("http://\(forward)/auth", headers: ["X-Gatepass-Gateway: nginx"])
        XCTAssertEqual(noURI.status, 403)
        XCTAssertEqual(noURI.headers["x-gatepass-status"], "400")

        // An oversized body is refused (never read to the end, never allowed).
        let large = fixture.directory.appendingPathComponent("large.bin")
        try Data(repeating: UInt8(ascii: "a"), count: 200_000).write(to: large)
        let oversized = try LoopbackFixture.curl("http://\(http)/authz/v1/items", headers: ["Host: api.example.com", "Authorization: Bearer \(token)"],
                                                 extra: ["--data-binary", "@\(large.path)"])
        XCTAssertEqual(oversized.status, 400, daemon.output)

        // Envoy gRPC, through a real grpc-swift client.
        let parts = grpc.split(separator: ":")
        let port = try XCTUnwrap(Int(parts.last ?? ""))
        try await withGRPCClient(transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)) { client in
            let authz = Envoy_Service_Auth_V3_Authorization.Client(wrapping: client)
            let ok = try await authz.check(Self.check(path: "/v1/items?access=1", headers: ["authorization": "Bearer \(token)", "x_subject": "mallory"]))
            XCTAssertEqual(ok.status.code, 0)
            XCTAssertEqual(ok.okResponse.headers.first?.header.value, "alice")
            XCTAssertEqual(Set(ok.okResponse.headersToRemove), ["authorization", "x_subject"])
            let denied = try await authz.check(Self.check(path: "/v1/items", headers: ["authorization": "Bearer \(fixture.token(scope: "api:read"))"]))
            XCTAssertEqual(denied.status.code, 7)
            XCTAssertEqual(denied.deniedResponse.status.code, .forbidden)
            let bad = try await authz.check(Envoy_Service_Auth_V3_CheckRequest())
            XCTAssertEqual(bad.status.code, 3)
            XCTAssertEqual(bad.deniedResponse.status.code, .badRequest)
            do {
                _ = try await authz.check(Self.check(path: "/v1/items", headers: ["x-padding": String(repeating: "p", count: 2 << 20)]))
                XCTFail("a 2 MiB CheckRequest must be refused")
            } catch let error as RPCError {
                // The transport resets the stream: a protocol error, so Envoy applies its failure mode.
                XCTAssertTrue([.resourceExhausted, .unavailable].contains(error.code), "\(error)")
            }
            let health = Grpc_Health_V1_Health.Client(wrapping: client)
            let status = try await health.check(.with { $0.service = "" })
            XCTAssertEqual(status.status, .serving)
            let first = try await health.watch(.with { $0.service = "envoy.service.auth.v3.Authorization" }) { response in
                for try await message in response.messages { return message.status }
                return Grpc_Health_V1_HealthCheckResponse.ServingStatus.unknown
            }
            XCTAssertEqual(first, .serving)
        }

        // The service's own handler latency, per transport.
        let stats = try LoopbackFixture.curl("http://\(admin)/stats")
        XCTAssertEqual(stats.status, 200)
        XCTAssertTrue(stats.body.contains("transport=grpc count=3"), stats.body)
        XCTAssertTrue(stats.body.contains("transport=http count=3"), stats.body)

        // A second instance on a busy port fails with exit 2 and names the listener.
        let busy = try GatepassdProcess.runToExit(["--bundle", fixture.bundle, "--forward-auth", admin])
        XCTAssertEqual(busy.status, 2, busy.output)
        XCTAssertTrue(busy.output.contains("cannot listen on \(admin) (--forward-auth)"), busy.output)
        let busyGRPC = try GatepassdProcess.runToExit(["--bundle", fixture.bundle, "--grpc", grpc])
        XCTAssertEqual(busyGRPC.status, 2, busyGRPC.output)
        XCTAssertTrue(busyGRPC.output.contains("(--grpc)"), busyGRPC.output)

        stopped = true
        XCTAssertEqual(daemon.stop(), 0, daemon.output)
        XCTAssertFalse(daemon.output.contains(token), "no token in any log")
    }

    func testStartupFailuresExitWithStatus2() throws {
        let fixture = try LoopbackFixture(queryToken: true)
        defer { fixture.remove() }
        let refused = try GatepassdProcess.runToExit(["--bundle", fixture.bundle, "--http", "127.0.0.1:0"])
        XCTAssertEqual(refused.status, 2, refused.output)
        XCTAssertTrue(refused.output.contains("gatepassd: error: --http: entry `api` reads its token from the query parameter `access_token`"),
                      refused.output)

        let garbage = fixture.directory.appendingPathComponent("garbage.gpb")
        try Data("not a bundle".utf8).write(to: garbage)
        let bad = try GatepassdProcess.runToExit(["--bundle", garbage.path, "--grpc", "127.0.0.1:0"])
        XCTAssertEqual(bad.status, 2, bad.output)
        XCTAssertTrue(bad.output.contains("gatepassd: error: \(garbage.path):"), bad.output)

        let absent = try GatepassdProcess.runToExit(["--bundle", fixture.directory.appendingPathComponent("absent.gpb").path, "--grpc", "127.0.0.1:0"])
        XCTAssertEqual(absent.status, 2, absent.output)

        let noListener = try GatepassdProcess.runToExit(["--bundle", fixture.bundle])
        XCTAssertEqual(noListener.status, 2, noListener.output)

        // An unsigned bundle with a trusted key is refused.
        let keyPath = fixture.directory.appendingPathComponent("trusted.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["sh", "-c", "openssl genpkey -algorithm ed25519 | openssl pkey -pubout -out '\(keyPath)'"]
        try openssl.run()
        openssl.waitUntilExit()
        XCTAssertEqual(openssl.terminationStatus, 0)
        let unsigned = try GatepassdProcess.runToExit(["--bundle", fixture.bundle, "--trusted-key", keyPath, "--grpc", "127.0.0.1:0"])
        XCTAssertEqual(unsigned.status, 2, unsigned.output)
    }

    func testMissingEnvironmentSecretExitsWithStatus2() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let fixture = try LoopbackFixture()
        defer { fixture.remove() }
        // Policies/ holds an HS256 key read from BILLING_WEBHOOK_SECRET.
        let compiled = fixture.directory.appendingPathComponent("examples.gpb").path
        let gatepass = GatepassdProcess.binary.deletingLastPathComponent().appendingPathComponent("gatepass")
        guard FileManager.default.fileExists(atPath: gatepass.path) else { throw XCTSkip("gatepass is not built next to gatepassd") }
        let compile = Process()
        compile.executableURL = gatepass
        compile.arguments = ["compile", root.appendingPathComponent("Policies").path, "-o", compiled]
        compile.standardOutput = FileHandle.nullDevice
        compile.standardError = FileHandle.nullDevice
        try compile.run()
        compile.waitUntilExit()
        XCTAssertEqual(compile.terminationStatus, 0)
        let result = try GatepassdProcess.runToExit(["--bundle", compiled, "--grpc", "127.0.0.1:0"], environment: ["BILLING_WEBHOOK_SECRET": ""])
        XCTAssertEqual(result.status, 2, result.output)
        XCTAssertTrue(result.output.contains("BILLING_WEBHOOK_SECRET"), result.output)
    }

    static func check(host: String = "api.example.com", path: String, headers: [String: String]) -> Envoy_Service_Auth_V3_CheckRequest {
        .with {
            $0.attributes.request.http = .with {
                $0.method = "GET"
                $0.host = host
                $0.path = path
                $0.headers = headers
            }
        }
    }
}
