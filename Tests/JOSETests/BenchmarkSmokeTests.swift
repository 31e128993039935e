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
        if ProcessInfo.processInfo.environment["JOSE_BENCH_PRINT"] != nil {
            print(JOSEBenchmark.format(rows))
        }
    }

    /// Set JOSE_BENCH_ITERATIONS to time a release build: `swift test -c release --filter timedRun`.
    func testTimedRunWhenRequested() throws {
        guard let text = ProcessInfo.processInfo.environment["JOSE_BENCH_ITERATIONS"], let iterations = Int(text) else {
            throw XCTSkip("set JOSE_BENCH_ITERATIONS to run the timed benchmark")
        }
        let rows = JOSEBenchmark.run(iterations: iterations)
        print(JOSEBenchmark.format(rows))
        XCTAssertTrue(rows.allSatisfy(\.verified))
    }
}

/// Hooks for external tools: `JOSE_LOOP_CASE=HS256 JOSE_LOOP_N=1000` runs only the verify
/// loop, so `valgrind` heap totals at N and 2N give the per-verify allocation count.
final class VerifyLoopHook: XCTestCase {
    func testVerifyLoopWhenRequested() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let name = environment["JOSE_LOOP_CASE"], let count = environment["JOSE_LOOP_N"].flatMap(Int.init) else {
            throw XCTSkip("set JOSE_LOOP_CASE and JOSE_LOOP_N")
        }
        let loop = try XCTUnwrap(VerifyLoop(name: name))
        if environment["JOSE_LOOP_FLOOR"] != nil {
            XCTAssertTrue(loop.runFloor(iterations: count))
        } else {
            XCTAssertTrue(loop.run(iterations: count))
        }
    }
}
