import BundleFormat
import Compiler
import Diagnostics
import Foundation
import FrontEnd
public import JOSE
import Runtime
public import TokenSigning

/// The runtime benchmark behind `gatepass bench`: full decisions against the raw OpenSSL
/// floor measured in the same run, requests that need no token at 10 and 10,000 rules,
/// compiling and loading a large bundle, and throughput on one and two threads.
///
/// Every figure is a ratio against something measured in the same run, never an absolute
/// claim, and the same code runs briefly in `swift test` (asserting correctness only).
public enum DecisionBenchmark {
    public static let now: Double = 1_767_225_600

    /// How much work to do: `.full` for real numbers (release build), `.quick` for tests.
    public struct Scale: Sendable {
        public var iterations: Int
        public var entries: Int
        public var rules: Int
        public var keys: Int
        public var threadSeconds: Double
        /// Results put in a verified-token cache to measure what one holds.
        public var cacheEntries: Int

        public static let full = Scale(iterations: 5_000, entries: 1_000, rules: 10_000, keys: 2_000, threadSeconds: 1.0, cacheEntries: 10_000)
        public static let quick = Scale(iterations: 3, entries: 20, rules: 200, keys: 40, threadSeconds: 0.05, cacheEntries: 20)
    }

    public struct AlgorithmRow: Sendable {
        public let name: String
        public let floorNanoseconds: Double
        /// The verified-token cache off.
        public let decisionNanoseconds: Double
        /// The cache on: a token it does not hold (looked up, verified, inserted, another evicted).
        public let missNanoseconds: Double
        /// The cache on: a token it holds.
        public let hitNanoseconds: Double
        public let allowed: Bool
        public var ratio: Double { decisionNanoseconds / floorNanoseconds }
        public var missRatio: Double { missNanoseconds / floorNanoseconds }
        public var hitRatio: Double { hitNanoseconds / floorNanoseconds }
    }

    public struct Report: Sendable {
        public var algorithms: [AlgorithmRow] = []
        /// No-token decisions: nanoseconds per decision at 10 and at `scale.rules` rules.
        public var publicSmall: Double = 0
        public var publicLarge: Double = 0
        public var publicRules: Int = 0
        public var publicDecisionsCorrect = false
        /// The large set: compile seconds, bundle bytes, load seconds, resident bytes added.
        public var compileSeconds: Double = 0
        public var bundleBytes: Int = 0
        public var loadSeconds: Double = 0
        /// Resident memory the load added in a fresh process, and the process's total after it.
        public var loadResidentBytes: Int = 0
        public var residentBytes: Int = 0
        public var largeSet = (entries: 0, rules: 0, keys: 0)
        /// Decisions per second (ES256, valid token) on one and two threads.
        public var singleThread: Double = 0
        public var twoThreads: Double = 0
        /// The same with the verified-token cache on (every decision a hit): one thread,
        /// two threads sharing one token, two threads with a token each.
        public var cachedSingleThread: Double = 0
        public var cachedTwoThreadsOneToken: Double = 0
        public var cachedTwoThreads: Double = 0
        public var threadsCorrect = false
        /// What the cache holds per entry: the bench token, and a 4 KiB token of tiny claims.
        public var cacheMemory: [TokenCacheBench.MemoryRow] = []
    }

    /// The algorithms the runtime targets name, with the same keys as the JOSE benchmark.
    public static let cases = JOSEBenchmark.cases
        .filter { ["HS256", "RS256", "PS256", "ES256", "ES384", "EdDSA(Ed25519)"].contains($0.name) }
        .map { (name: $0.name == "EdDSA(Ed25519)" ? "EdDSA" : $0.name, algorithm: $0.algorithm, key: $0.key) }

    public static func run(scale: Scale) -> Report {
        var report = Report()
        let bench = AlgorithmBench()
        for item in cases {
            report.algorithms.append(bench.measure(item.name, algorithm: item.algorithm, keyType: item.key, iterations: scale.iterations))
        }
        measurePublic(into: &report, scale: scale)
        measureLargeSet(into: &report, scale: scale)
        measureThreads(into: &report, bench: bench, seconds: scale.threadSeconds)
        report.cacheMemory = TokenCacheBench.measureMemory(entries: scale.cacheEntries)
        return report
    }

    /// Runs one kind of decision `iterations` times (for profilers and allocation counts):
    /// `public` (no token needed, 10,000 rules) or an algorithm name, in ten equal batches.
    /// Returns the best batch's nanoseconds per decision; nil when the kind is unknown or
    /// a decision is not the expected one.
    public static func loop(_ kind: String, iterations: Int, cached: Bool = false) -> Double? {
        let decide: () -> Bool
        if kind == "public" {
            let policy = RuleSetFactory.policy(entries: 100, rulesPerEntry: 100)
            let request = publicRequest
            decide = { policy.decide(request, now: now).reason == .noAuthRequired }
        } else {
            guard let item = cases.first(where: { $0.name == kind }) else { return nil }
            let (policy, request) = AlgorithmBench().prepared(item.algorithm, keyType: item.key, tokenCacheCapacity: cached ? 16 : 0)
            decide = { policy.decide(request, now: now).isAllowed }
        }
        var ok = decide()
        let batch = max(1, iterations / 10)
        var best = Double.infinity
        for _ in 0..<10 {
            best = min(best, Clock.measure(batch) { ok = decide() && ok })
        }
        return ok ? best : nil
    }

    static let publicRequest = HTTPRequest(method: "GET", host: "www.example.org", target: "/docs/getting-started/install?lang=en",
                                           headers: [HTTPHeader("user-agent", "bench/1.0"), HTTPHeader("accept", "text/html")])

    // MARK: requests that need no token

    static func measurePublic(into report: inout Report, scale: Scale) {
        let small = RuleSetFactory.policy(entries: 2, rulesPerEntry: 5)
        let large = RuleSetFactory.policy(entries: max(1, scale.rules / 100), rulesPerEntry: min(100, scale.rules))
        let request = publicRequest
        let smallDecision = small.decide(request, now: now)
        let largeDecision = large.decide(request, now: now)
        report.publicDecisionsCorrect = smallDecision.reason == .noAuthRequired && largeDecision.reason == .noAuthRequired
            && large.decide(RuleSetFactory.protectedRequest, now: now).reason == .tokenMissing
        report.publicRules = large.program.rules.count
        var sink = 0
        let iterations = scale.iterations * 20
        var bestSmall = Double.infinity, bestLarge = Double.infinity
        for _ in 0..<5 {
            bestSmall = min(bestSmall, Clock.measure(iterations) { sink &+= small.decide(request, now: now).status })
            bestLarge = min(bestLarge, Clock.measure(iterations) { sink &+= large.decide(request, now: now).status })
        }
        report.publicSmall = bestSmall
        report.publicLarge = bestLarge
        if sink == 42 { print("") }
    }

    // MARK: a large set: compile, bundle size, load time and memory

    static func measureLargeSet(into report: inout Report, scale: Scale) {
        let source = RuleSetFactory.largeSet(entries: scale.entries, rules: scale.rules, keys: scale.keys)
        let start = Clock.nanoseconds()
        let outcome = Pipeline().compile(files: [SourceFile(path: "bench/large.yaml", text: source)])
        report.compileSeconds = Double(Clock.nanoseconds() - start) / 1e9
        guard let bundle = outcome.bundle, let program = outcome.program else {
            let first = outcome.check.diagnostics.sorted.first.map { TextRenderer().render($0) } ?? "no diagnostics"
            fatalError("the generated large set does not compile:\n\(first)")
        }
        report.bundleBytes = bundle.count
        report.largeSet = (program.entries.count, program.rules.count, program.keys.count)
        // Loading is measured in a fresh process (this executable, `bench --measure-load`),
        // so the compiler's memory does not hide what the loaded policy holds.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-bench-\(getpid()).gpb").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard (try? Data(bundle).write(to: URL(fileURLWithPath: path))) != nil,
              let measured = measureLoadInChild(path) else { return }
        (report.loadSeconds, report.loadResidentBytes, report.residentBytes) = measured
    }

    /// Runs `gatepass bench --measure-load PATH` and reads its answer.
    static func measureLoadInChild(_ path: String) -> (Double, Int, Int)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["bench", "--measure-load", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return nil }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fields = output.split(whereSeparator: \.isWhitespace)
        guard fields.count == 3, let seconds = Double(fields[0]), let before = Int(fields[1]), let after = Int(fields[2]) else { return nil }
        return (seconds, max(0, after - before), after)
    }

    /// The child's side: load the bundle and print seconds, resident bytes before and after.
    public static func measureLoad(path: String) -> String? {
        guard let bytes = FileManager.default.contents(atPath: path) else { return nil }
        let bundle = [UInt8](bytes)
        let before = Clock.residentBytes()
        let start = Clock.nanoseconds()
        guard let policy = try? PolicyLoader(environment: { _ in RuleSetFactory.secret }).load(bytes: bundle) else { return nil }
        let seconds = Double(Clock.nanoseconds() - start) / 1e9
        let after = Clock.residentBytes()
        return withExtendedLifetime(policy) { "\(seconds) \(before) \(after)" }
    }

    // MARK: threads

    static func measureThreads(into report: inout Report, bench: AlgorithmBench, seconds: Double) {
        let (policy, request) = bench.prepared(.ES256, keyType: .ec(.p256))
        report.threadsCorrect = policy.decide(request, now: now).isAllowed
        report.singleThread = throughput(threads: 1, seconds: seconds) { _ in policy.decide(request, now: now).isAllowed }
        report.twoThreads = throughput(threads: 2, seconds: seconds) { _ in policy.decide(request, now: now).isAllowed }

        let (cached, requests, _, _) = bench.prepare(.ES256, keyType: .ec(.p256), tokenCacheCapacity: PolicyLoader.defaultTokenCacheCapacity,
                                                     subjects: ["user-1234567890", "user-1234567891"])
        report.threadsCorrect = report.threadsCorrect && requests.allSatisfy { cached.decide($0, now: now).isAllowed }
        report.cachedSingleThread = throughput(threads: 1, seconds: seconds) { _ in cached.decide(requests[0], now: now).isAllowed }
        report.cachedTwoThreadsOneToken = throughput(threads: 2, seconds: seconds) { _ in cached.decide(requests[0], now: now).isAllowed }
        report.cachedTwoThreads = throughput(threads: 2, seconds: seconds) { thread in cached.decide(requests[thread], now: now).isAllowed }
        report.threadsCorrect = report.threadsCorrect && cached.tokenCacheStatistics.misses == 2
    }

    /// Decisions per second of `body` (given the thread's index) on `threads` threads.
    static func throughput(threads: Int, seconds: Double, _ body: @escaping @Sendable (Int) -> Bool) -> Double {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: threads)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        nonisolated(unsafe) let shared = counts
        let deadline = Clock.nanoseconds() + UInt64(seconds * 1e9)
        let start = Clock.nanoseconds()
        DispatchQueue.concurrentPerform(iterations: threads) { index in
            var done = 0
            while Clock.nanoseconds() < deadline {
                for _ in 0..<8 { _ = body(index) }
                done += 8
            }
            shared[index] = done
        }
        let elapsed = Double(Clock.nanoseconds() - start) / 1e9
        return Double(counts.reduce(0, +)) / elapsed
    }
}

/// Monotonic time and resident memory, without Foundation's overhead on the hot loop.
enum Clock {
    static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    static func measure(_ iterations: Int, _ body: () -> Void) -> Double {
        let start = nanoseconds()
        for _ in 0..<iterations { body() }
        return Double(nanoseconds() - start) / Double(max(1, iterations))
    }

    /// VmRSS of this process, from /proc (0 where unavailable).
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.filter(\.isNumber)
            return (Int(digits) ?? 0) * 1024
        }
        return 0
    }
}
