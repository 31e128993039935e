import Foundation
import XCTest

/// `gatepass bench --quick` runs every benchmark briefly so the code cannot rot. It asserts
/// only that every measured decision was the expected one, never a time.
final class BenchSmokeTests: XCTestCase {
    func testEveryBenchmarkRunsAndDecidesCorrectly() throws {
        let output = try GatepassProcess.run(["bench", "--quick"])
        XCTAssertEqual(output.status, 0, output.stderr)
        for section in ["JWS verification", "full decision", "verified-token cache", "held in memory", "need no token", "a large policy set", "throughput",
                        "cache on (every decision a hit)", "2 threads, a token each"] {
            XCTAssertTrue(output.stdout.contains(section), "missing \(section):\n\(output.stdout)")
        }
        for algorithm in ["HS256", "RS256", "PS256", "ES256", "ES384", "EdDSA"] {
            XCTAssertTrue(output.stdout.contains("\n\(algorithm) "), "missing \(algorithm)")
        }
        XCTAssertFalse(output.stdout.contains(" NO"), output.stdout)
    }

    func testVerifyLoopForAllocationCounting() throws {
        XCTAssertEqual(try GatepassProcess.run(["bench", "--verify-loop", "ES256", "--loop-iterations", "3"]).status, 0)
        XCTAssertEqual(try GatepassProcess.run(["bench", "--verify-loop", "HS256", "--loop-iterations", "3", "--floor"]).status, 0)
        XCTAssertEqual(try GatepassProcess.run(["bench", "--verify-loop", "XX999"]).status, 2)
        XCTAssertEqual(try GatepassProcess.run(["bench", "--decision-loop", "HS256", "--loop-iterations", "3", "--cached"]).status, 0)
    }
}
