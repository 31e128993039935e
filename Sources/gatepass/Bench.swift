import ArgumentParser
import Benchmarks
import Foundation

/// `gatepass bench`: the performance benchmark (build with `-c release`).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure decisions against the raw OpenSSL floor, rule-set scaling, loading and threads.",
        discussion: "Run a release build (`swift build -c release`). Every figure is measured in the same run; ratios compare with a floor measured alongside."
    )

    @Flag(help: "A tiny run that checks every benchmark works (what the test suite runs).")
    var quick = false

    @Option(help: "Iterations per timed batch set (default 5000).")
    var iterations: Int?

    @Option(help: "Run only this JOSE verify loop (HS256, RS256, …) that many times, for valgrind's allocation counts.")
    var verifyLoop: String?

    @Option(help: "The number of iterations for --verify-loop.")
    var loopIterations: Int = 1000

    @Option(help: .hidden)
    var measureLoad: String?

    @Option(help: .hidden)
    var measureCacheMemory: String?

    @Flag(help: "With --verify-loop, run the raw OpenSSL floor instead.")
    var floor = false

    @Option(help: "Run only full decisions of one kind (`public`, or an algorithm such as HS256) that many times (--loop-iterations), for profilers; prints the best of ten batches in ns/decision.")
    var decisionLoop: String?

    @Flag(help: "With --decision-loop, keep the verified-token cache on, so every decision after the first is a hit.")
    var cached = false

    func run() throws {
        if let path = measureLoad {
            guard let answer = DecisionBenchmark.measureLoad(path: path) else { throw CLIError("cannot load `\(path)`") }
            print(answer)
            return
        }
        if let argument = measureCacheMemory {
            guard let answer = TokenCacheBench.measureInProcess(argument) else { throw CLIError("bad --measure-cache-memory `\(argument)`") }
            print(answer)
            return
        }
        if let name = verifyLoop {
            guard let loop = VerifyLoop(name: name) else { throw CLIError("unknown verify loop `\(name)`") }
            let ok = floor ? loop.runFloor(iterations: loopIterations) : loop.run(iterations: loopIterations)
            if !ok { throw CLIError("verification failed in the \(name) loop") }
            return
        }
        if let kind = decisionLoop {
            guard let nanoseconds = DecisionBenchmark.loop(kind, iterations: loopIterations, cached: cached) else {
                throw CLIError("unknown or failing decision loop `\(kind)`")
            }
            print("\(kind)\(cached ? " (cached)" : ""): \(String(format: "%.1f", nanoseconds)) ns/decision, the best of 10 batches of \(max(1, loopIterations / 10))")
            return
        }
        var scale: DecisionBenchmark.Scale = quick ? .quick : .full
        if let iterations { scale.iterations = iterations }
        let joseRows = JOSEBenchmark.run(iterations: scale.iterations)
        let report = DecisionBenchmark.run(scale: scale)
        print(BenchmarkTable.render(report: report, jose: joseRows, machine: MachineDescription.current()))
        let correct = joseRows.allSatisfy(\.verified) && report.algorithms.allSatisfy(\.allowed)
            && report.publicDecisionsCorrect && report.threadsCorrect
        if !correct { throw CLIError("a benchmark did not produce the expected decisions") }
    }
}
