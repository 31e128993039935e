import Foundation
import XCTest

/// `gatepass gateway-config` for the example policies is pinned in `Golden/gateway-config/`
/// for every target: the refusal where the gateway cannot remove a token, and the
/// configuration written with `--allow-unremoved-tokens`.
final class GatewayConfigGoldenTests: XCTestCase {
    static let targets = ["envoy-grpc", "envoy-http", "nginx", "caddy", "traefik"]

    func testEveryTargetForTheExamplePoliciesMatchesItsGolden() throws {
        for target in Self.targets {
            let command = ["gateway-config", target, "Policies"]
            let output = try GatepassProcess.run(command)
            GoldenFile.assertMatches(output.transcript(command: command), golden: "gateway-config/\(target).txt")
            let accepting = command + ["--allow-unremoved-tokens"]
            let written = try GatepassProcess.run(accepting)
            XCTAssertEqual(written.status, 0, written.stderr)
            GoldenFile.assertMatches(written.transcript(command: accepting), golden: "gateway-config/\(target)-allow-unremoved-tokens.txt")
        }
    }

    func testOnlyEnvoyGRPCCanRemoveEveryTokenOfTheExamplePolicies() throws {
        XCTAssertEqual(try GatepassProcess.run(["gateway-config", "envoy-grpc", "Policies"]).status, 0)
        for target in Self.targets.dropFirst() {
            let output = try GatepassProcess.run(["gateway-config", target, "Policies"])
            XCTAssertEqual(output.status, 1, target)
            XCTAssertEqual(output.stdout, "", "nothing is written when the gateway would leak a token")
            XCTAssertTrue(output.stderr.contains("`mobile-app`"), "the message names the entry: \(output.stderr)")
        }
    }

    func testAddressesAreRendered() throws {
        let command = ["gateway-config", "nginx", "Policies", "--allow-unremoved-tokens",
                       "--service", "127.0.0.1:19193", "--upstream", "127.0.0.1:18080", "--listen", "127.0.0.1:20000", "--timeout-ms", "1500"]
        let output = try GatepassProcess.run(command)
        XCTAssertEqual(output.status, 0, output.stderr)
        for expected in ["proxy_pass http://127.0.0.1:19193/;", "server 127.0.0.1:18080;", "listen 127.0.0.1:20000;", "proxy_read_timeout 1500ms;"] {
            XCTAssertTrue(output.stdout.contains(expected), expected)
        }
        let envoy = try GatepassProcess.run(["gateway-config", "envoy-http", "Policies", "--allow-unremoved-tokens",
                                             "--http-path-prefix", "/authz", "--timeout-ms", "250"])
        XCTAssertTrue(envoy.stdout.contains("path_prefix: \"/authz\""), envoy.stdout)
        XCTAssertTrue(envoy.stdout.contains("timeout: 0.25s"), envoy.stdout)
    }

    /// Several `--service` replicas: one balanced, health-checked Envoy cluster with a retry
    /// policy, or an nginx `upstream` with failover; pinned as goldens. Targets that take
    /// one address refuse several.
    func testSeveralReplicasAreBalanced() throws {
        let replicas = ["--service", "127.0.0.1:19191", "--service", "127.0.0.1:19291", "--service", "127.0.0.1:19391"]
        let envoy = ["gateway-config", "envoy-grpc", "Policies"] + replicas
        let envoyOutput = try GatepassProcess.run(envoy)
        XCTAssertEqual(envoyOutput.status, 0, envoyOutput.stderr)
        GoldenFile.assertMatches(envoyOutput.transcript(command: envoy), golden: "gateway-config/envoy-grpc-replicas.txt")
        for expected in ["lb_policy: ROUND_ROBIN", "outlier_detection:", "grpc_health_check: { service_name: \"envoy.service.auth.v3.Authorization\" }",
                         "retry_policy:", "port_value: 19191", "port_value: 19291", "port_value: 19391"] {
            XCTAssertTrue(envoyOutput.stdout.contains(expected), expected)
        }
        let nginx = ["gateway-config", "nginx", "Policies", "--allow-unremoved-tokens"] + replicas.prefix(4)
        let nginxOutput = try GatepassProcess.run(Array(nginx))
        XCTAssertEqual(nginxOutput.status, 0, nginxOutput.stderr)
        GoldenFile.assertMatches(nginxOutput.transcript(command: Array(nginx)), golden: "gateway-config/nginx-replicas.txt")
        XCTAssertTrue(nginxOutput.stdout.contains("proxy_pass http://gatepass_decision/;"), nginxOutput.stdout)

        for target in ["caddy", "traefik"] {
            let refused = try GatepassProcess.run(["gateway-config", target, "Policies", "--allow-unremoved-tokens"] + replicas)
            XCTAssertEqual(refused.status, 2, target)
            XCTAssertTrue(refused.stderr.contains("takes one --service"), refused.stderr)
        }
        let twice = try GatepassProcess.run(["gateway-config", "envoy-grpc", "Policies", "--service", "127.0.0.1:1", "--service", "127.0.0.1:1"])
        XCTAssertEqual(twice.status, 2)
        XCTAssertTrue(twice.stderr.contains("the same address twice"), twice.stderr)
    }

    func testABundleGivesTheSameConfigurationAsItsPolicies() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-gw-\(UUID().uuidString).gpb").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try GatepassProcess.run(["compile", "Policies", "-o", path]).status, 0)
        for target in Self.targets {
            let fromBundle = try GatepassProcess.run(["gateway-config", target, path, "--allow-unremoved-tokens"])
            let fromPolicies = try GatepassProcess.run(["gateway-config", target, "Policies", "--allow-unremoved-tokens"])
            XCTAssertEqual(fromBundle.status, 0, fromBundle.stderr)
            XCTAssertEqual(fromBundle.stdout, fromPolicies.stdout, target)
        }
    }

    func testUsageErrors() throws {
        XCTAssertEqual(try GatepassProcess.run(["gateway-config", "haproxy", "Policies"]).status, 2)
        XCTAssertEqual(try GatepassProcess.run(["gateway-config", "nginx"]).status, 2)
        XCTAssertEqual(try GatepassProcess.run(["gateway-config", "nginx", "Policies", "--service", "nowhere"]).status, 2)
        XCTAssertEqual(try GatepassProcess.run(["gateway-config", "envoy-grpc", "Tests/Fixtures/invalid/unknown-keys.yaml"]).status, 2)
    }
}
