import Foundation

/// The benchmark report as text tables, with the targets next to the measurements.
public enum BenchmarkTable {
    public static func render(report: DecisionBenchmark.Report, jose: [BenchmarkRow], machine: String) -> String {
        var lines: [String] = ["machine: \(machine)", ""]
        lines.append("JWS verification (JOSE) against the raw OpenSSL floor, ns/op")
        lines.append(row(["algorithm", "floor", "verify", "ratio", "ok"], widths: [16, 12, 12, 8, 5]))
        for item in jose {
            lines.append(row([item.name, fixed(item.floorNanoseconds, 0), fixed(item.verifyNanoseconds, 0), fixed(item.ratio, 3),
                              item.verified ? "yes" : "NO"], widths: [16, 12, 12, 8, 5]))
        }
        lines.append("")
        lines.append("full decision (normalise, trie walk, extract, parse, verify, claims, headers), the token cache off, against the floor, ns/op")
        lines.append(row(["algorithm", "floor", "decision", "ratio", "target", "met"], widths: [16, 12, 12, 8, 8, 5]))
        for item in report.algorithms {
            let target = item.name == "HS256" ? 2.0 : 1.10
            lines.append(row([item.name, fixed(item.floorNanoseconds, 0), fixed(item.decisionNanoseconds, 0), fixed(item.ratio, 3),
                              "≤ " + fixed(target, 2), item.ratio <= target ? "yes" : "no"], widths: [16, 12, 12, 8, 8, 5]))
        }
        lines.append("")
        lines.append("the verified-token cache: a token it does not hold (miss) and one it holds (hit), ns/decision and × the floor")
        lines.append(row(["algorithm", "floor", "miss", "ratio", "hit", "ratio", "target", "met"], widths: [16, 12, 12, 8, 10, 8, 10, 5]))
        for item in report.algorithms {
            lines.append(row([item.name, fixed(item.floorNanoseconds, 0), fixed(item.missNanoseconds, 0), fixed(item.missRatio, 3),
                              fixed(item.hitNanoseconds, 0), fixed(item.hitRatio, 4), "≤ 1000 ns", item.hitNanoseconds <= 1000 ? "yes" : "no"],
                             widths: [16, 12, 12, 8, 10, 8, 10, 5]))
        }
        for item in report.cacheMemory {
            lines.append("  held in memory, \(item.name) (\(item.tokenBytes) bytes): \(fixed(item.bytesPerEntry / 1024, 1)) KiB per result "
                + "(\(item.entries) results, +\(fixed(Double(item.residentBytes) / 1_048_576, 1)) MiB resident)")
        }
        lines.append("")
        lines.append("requests that need no token (no entry protects them)")
        lines.append("  10 rules: \(fixed(report.publicSmall, 1)) ns/decision")
        let ratio = report.publicLarge / report.publicSmall
        lines.append("  \(report.publicRules) rules: \(fixed(report.publicLarge, 1)) ns/decision (target ≤ 300: \(report.publicLarge <= 300 ? "met" : "not met")), "
            + "\(fixed(ratio, 2))× the 10-rule cost (target ≤ 1.5: \(ratio <= 1.5 ? "met" : "not met"))")
        lines.append("")
        lines.append("a large policy set: \(report.largeSet.entries) entries, \(report.largeSet.rules) rules, \(report.largeSet.keys) keys")
        lines.append("  compile: \(fixed(report.compileSeconds, 3)) s (target < 2 s: \(report.compileSeconds < 2 ? "met" : "not met"))")
        lines.append("  bundle: \(report.bundleBytes) bytes (\(fixed(Double(report.bundleBytes) / 1_048_576, 2)) MiB; target < 2 MiB: \(report.bundleBytes < 2 << 20 ? "met" : "not met"))")
        lines.append("  load (fresh process): \(fixed(report.loadSeconds * 1000, 1)) ms, resident memory +\(fixed(Double(report.loadResidentBytes) / 1_048_576, 1)) MiB (\(fixed(Double(report.residentBytes) / 1_048_576, 1)) MiB in all)")
        lines.append("")
        lines.append("throughput, ES256 decision with a valid token")
        lines.append("  1 thread: \(fixed(report.singleThread, 0)) decisions/s")
        lines.append("  2 threads: \(fixed(report.twoThreads, 0)) decisions/s (\(fixed(report.twoThreads / max(report.singleThread, 1), 2))×)")
        lines.append("throughput, ES256 decision with the verified-token cache on (every decision a hit)")
        lines.append("  1 thread: \(fixed(report.cachedSingleThread, 0)) decisions/s")
        lines.append("  2 threads, one token: \(fixed(report.cachedTwoThreadsOneToken, 0)) decisions/s (\(fixed(report.cachedTwoThreadsOneToken / max(report.cachedSingleThread, 1), 2))×)")
        lines.append("  2 threads, a token each: \(fixed(report.cachedTwoThreads, 0)) decisions/s (\(fixed(report.cachedTwoThreads / max(report.cachedSingleThread, 1), 2))×)")
        return lines.joined(separator: "\n")
    }

    static func row(_ cells: [String], widths: [Int]) -> String {
        zip(cells, widths).enumerated().map { index, pair in
            let (cell, width) = pair
            let padding = String(repeating: " ", count: max(0, width - cell.count))
            return index == 0 ? cell + padding : padding + cell
        }.joined()
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }
}

/// What the benchmark ran on, read from the machine.
public enum MachineDescription {
    public static func current() -> String {
        var model = "unknown CPU"
        if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            model = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
        return "\(model), \(cores) cores, \(String(format: "%.0f", memory)) GiB, \(ProcessInfo.processInfo.operatingSystemVersionString)"
    }
}
