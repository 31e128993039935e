import Benchmarks
import JOSE
import XCTest

/// Runs the benchmark with a tiny iteration count; asserts correctness only, never time.
final class BenchmarkSmokeTests: XCTestCase {
    func testEveryBenchmarkRowVerifies() {
        let rows = JOSEBenchmark.run(iterations: 3)
        XCTAssertEqual(rows.count, 8)
        for row in rows {
            XCTAssertTrue(row.verified, "\(row.name) did not verify")
        }
    }
}
