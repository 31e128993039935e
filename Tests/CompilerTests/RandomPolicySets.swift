import TestSupport
/// Random but reproducible policy sets and requests over small alphabets, so that
/// rules overlap, shadow and contradict each other often.
struct RandomPolicySets {
    var random: SplitMix64

    static let labels = ["a", "b", "example", "com"]
    static let segments = ["a", "b", "admin", "Admin", "ADMIN", "public", "x"]

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    mutating func chance(_ percent: Int) -> Bool {
        Int.random(in: 0..<100, using: &random) < percent
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items.randomElement(using: &random)!
    }

    mutating func host(labels range: ClosedRange<Int>, from alphabet: [String]) -> String {
        (0..<Int.random(in: range, using: &random)).map { _ in pick(alphabet) }.joined(separator: ".")
    }

    /// A YAML flow mapping for one rule; `domain` and `path` may be omitted.
    static let methods = ["GET", "HEAD", "POST", "DELETE", "OPTIONS"]

    mutating func rule() -> String {
        var fields: [String] = []
        switch Int.random(in: 0..<10, using: &random) {
        case 0: break
        case 1: fields.append("domain: \"*\"")
        case 2, 3, 4: fields.append("domain: \"*.\(host(labels: 1...2, from: Self.labels))\"")
        default: fields.append("domain: \"\(host(labels: 1...3, from: Self.labels))\"")
        }
        switch Int.random(in: 0..<12, using: &random) {
        case 0: break
        case 1: fields.append("path: \"/\"")
        case 2: fields.append("path: \"/**\"")
        default:
            var path = (0..<Int.random(in: 1...3, using: &random)).map { _ in chance(25) ? "/*" : "/" + pick(Self.segments) }.joined()
            if chance(35) { path += "/**" } else if chance(15) { path += "/" }
            fields.append("path: \"\(path)\"")
        }
        if chance(50) { fields.append("ignoreCase: \(chance(50))") }
        if chance(25) {
            let methods = Array(Set((0..<Int.random(in: 1...3, using: &random)).map { _ in pick(Self.methods) })).sorted()
            fields.append("methods: [\(methods.joined(separator: ", "))]")
        }
        return "{ " + fields.joined(separator: ", ") + " }"
    }

    /// A policy file of several entries (names deliberately not in sorted order).
    mutating func policyFile(setIndex: Int, entries: ClosedRange<Int> = 1...6) -> String {
        var documents: [String] = []
        let count = Int.random(in: entries, using: &random)
        for index in 0..<count {
            let mode = chance(50) ? "whitelist" : "blacklist"
            var lines = [
                "version: 1",
                "name: \(pick(["zeta", "alpha", "mid", "beta", "omega"]))-\(setIndex)-\(count - index)",
                "issuer: https://issuer-\(index).example",
                "jwks: \(environmentJWKS())",
                "authorization:",
                "  mode: \(mode)",
            ]
            if chance(12) { lines.insert("enabled: false", at: 2) }
            if chance(30) {
                let hosts = (0..<Int.random(in: 1...2, using: &random)).map { _ in
                    chance(40) ? "\"*.\(host(labels: 1...2, from: Self.labels))\"" : "\"\(host(labels: 1...3, from: Self.labels))\""
                }
                if Set(hosts).count == hosts.count { lines.insert("hosts: [\(hosts.joined(separator: ", "))]", at: 3) }
            }
            let ruleCount = Int.random(in: mode == "blacklist" ? 1...5 : 0...5, using: &random)
            lines.append(ruleCount == 0 ? "  rules: []" : "  rules:")
            for _ in 0..<ruleCount { lines.append("    - \(rule())") }
            documents.append(lines.joined(separator: "\n"))
        }
        return documents.joined(separator: "\n---\n") + "\n"
    }

    /// A request: often near the rules' alphabets, sometimes deeper, odder or hostless.
    mutating func request() -> Request {
        let requestHost: String? = switch Int.random(in: 0..<10, using: &random) {
        case 0: nil
        case 1: host(labels: 1...5, from: Self.labels + ["c", "badexample", "Example", "COM"])
        default: host(labels: 1...4, from: Self.labels)
        }
        var path = ""
        let depth = Int.random(in: 0...4, using: &random)
        for _ in 0..<depth {
            path += "/" + (chance(85) ? pick(Self.segments) : pick(["publicity", "aDmIn", "y", "ab"]))
        }
        if path.isEmpty || chance(15) { path += "/" }
        return Request(host: requestHost, path: path, method: chance(50) ? "GET" : pick(Self.methods + ["PROPFIND", "get"]))
    }
}
