import Foundation
import JOSE
import Runtime

/// What a verified-token cache holds per result: the resident memory a fresh process
/// (this executable, `bench --measure-cache-memory`) gains by filling a cache through real
/// decisions with distinct valid tokens. A fresh process, because memory freed by earlier
/// benchmarks would be reused and hide the growth.
public enum TokenCacheBench {
    public struct MemoryRow: Sendable {
        public let name: String
        public let tokenBytes: Int
        /// Results the cache held at the end (a full set evicts before the whole cache is full).
        public let entries: Int
        /// Resident bytes gained.
        public let residentBytes: Int
        public var bytesPerEntry: Double { Double(residentBytes) / Double(max(1, entries)) }
    }

    /// The bench token (eight claims), and the costliest result the cache keeps: a 4 KiB
    /// token with 240 JSON values (it keeps none with over 256).
    static func measureMemory(entries: Int) -> [MemoryRow] {
        [
            inChild("bench token, 8 claims", entries: entries, padTo: 0),
            inChild("4 KiB token, 240 values", entries: max(1, entries / 10), padTo: 4096),
        ]
    }

    static func inChild(_ name: String, entries: Int, padTo: Int) -> MemoryRow {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["bench", "--measure-cache-memory", "\(entries),\(padTo)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return MemoryRow(name: name, tokenBytes: 0, entries: 0, residentBytes: 0) }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fields = output.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard fields.count == 3 else { return MemoryRow(name: name, tokenBytes: 0, entries: 0, residentBytes: 0) }
        return MemoryRow(name: name, tokenBytes: fields[0], entries: fields[1], residentBytes: fields[2])
    }

    /// The child's side (`ENTRIES,PAD`): prints the token size, the results held and the bytes gained.
    public static func measureInProcess(_ argument: String) -> String? {
        let parts = argument.split(separator: ",").compactMap { Int($0) }
        guard parts.count == 2 else { return nil }
        let row = measure("", entries: parts[0], padTo: parts[1] > 0 ? parts[1] : nil)
        return "\(row.tokenBytes) \(row.entries) \(row.residentBytes)"
    }

    static func measure(_ name: String, entries: Int, padTo limit: Int?) -> MemoryRow {
        let bench = AlgorithmBench()
        let (policy, _, signer, _) = bench.prepare(.HS256, keyType: .hmac(bytes: 32), tokenCacheCapacity: entries)
        let header = #"{"alg":"HS256","typ":"JWT","kid":"bench-key"}"#
        // The largest result the cache keeps: 240 tiny values (it keeps at most 256 in all)
        // and a string claim filling the token to `limit` bytes.
        let zeros = limit == nil ? 0 : 240
        func token(_ index: Int, fill: Int) -> String {
            // Subjects of one length, so every token has the same size.
            let digits = String(index)
            let subject = "user-" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits
            let extra = zeros == 0 ? "" : #","pad":["# + Array(repeating: "0", count: zeros).joined(separator: ",") + #"],"fill":""#
                + String(repeating: "x", count: fill) + "\""
            return signer.sign(header: header, payload: AlgorithmBench.payload(subject: subject, extra: extra))
        }
        var fill = 0
        if let limit {
            fill = limit * 3 / 4
            while fill > 0, token(0, fill: fill).utf8.count > limit { fill -= 1 }
        }
        func token(_ index: Int) -> String { token(index, fill: fill) }
        let size = token(0).utf8.count
        // One decision first, so what is measured is the results and nothing set up once.
        _ = policy.decide(AlgorithmBench.request(token(0)), now: DecisionBenchmark.now)
        let before = Clock.residentBytes()
        for index in 1..<max(2, entries + 1) {
            _ = policy.decide(AlgorithmBench.request(token(index)), now: DecisionBenchmark.now)
        }
        let after = Clock.residentBytes()
        let held = policy.tokenCacheStatistics.entries
        return MemoryRow(name: name, tokenBytes: size, entries: held, residentBytes: withExtendedLifetime(policy) { max(0, after - before) })
    }
}
