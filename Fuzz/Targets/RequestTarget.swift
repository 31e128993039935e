import Runtime

/// Requests: the bytes are lines (`\n`): the host (`:authority`; empty for none), the
/// request-target, then headers as `name: value`. Checks, on every input:
///
/// - `PathNormalizer` agrees with `ReferencePathNormalizer` (same path, or refused with the
///   same code; invalid UTF-8 and fullwidth forms count as one);
/// - the full decision on the fixed bundle holds the invariants, is 400 `bad_request`
///   exactly when normalisation refuses, and is the same when the target is replaced by
///   its normalised form (normalisation is idempotent and decides nothing by itself).
enum RequestTarget {
    static func request(_ bytes: [UInt8]) -> HTTPRequest {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let host = lines.first.flatMap { $0.isEmpty ? nil : $0 }
        let target = lines.count > 1 ? lines[1] : "/"
        var headers: [HTTPHeader] = []
        for line in lines.dropFirst(2) {
            if let colon = line.firstIndex(of: ":") {
                var value = line[line.index(after: colon)...]
                if value.first == " " { value = value.dropFirst() }
                headers.append(HTTPHeader(name: String(line[..<colon]), value: String(value)))
            } else {
                headers.append(HTTPHeader(name: line, value: ""))
            }
        }
        return HTTPRequest(method: "GET", host: host, target: target, headers: headers)
    }

    static func comparable(_ code: String) -> String {
        code == "fullwidth_form" ? "invalid_utf8" : code
    }

    static func run(_ bytes: [UInt8]) -> String? {
        let request = self.request(bytes)
        let reference = ReferencePathNormalizer.normalize(request.target)
        let normalizedPath = PathNormalizer.normalize(target: request.target)
        switch (normalizedPath, reference) {
        case (.success(let path), .path(let expected)):
            if path.path != expected { return "path `\(path.path)`, reference `\(expected)`" }
        case (.failure(let problem), .refused(let code)):
            if comparable(problem.code.rawValue) != comparable(code) { return "refused as \(problem.code.rawValue), reference \(code)" }
        case (.success(let path), .refused(let code)):
            return "normalised to `\(path.path)`, reference refuses (\(code))"
        case (.failure(let problem), .path(let expected)):
            return "refused as \(problem.code.rawValue), reference gives `\(expected)`"
        }

        let policy = FuzzFixtures.policy
        let decision = policy.decide(request, now: FuzzFixtures.now, explain: true)
        if let problem = FuzzFixtures.checkInvariants(decision) { return problem }
        let normalized = RequestNormalizer.normalize(request)
        switch normalized {
        case .failure:
            if decision.reason != .badRequest || decision.status != 400 { return "refused request decided as \(decision.reason)" }
        case .success:
            if decision.reason == .badRequest && decision.status == 400 { return "normalised request decided as bad_request" }
        }
        if case .success(let path) = normalizedPath, case .success = normalized {
            var again = request
            again.target = path.path + (path.rawQuery.map { "?" + $0 } ?? "")
            let second = policy.decide(again, now: FuzzFixtures.now)
            if second.verdict != decision.verdict || second.status != decision.status || second.reason != decision.reason {
                return "deciding the normalised target `\(again.target)` gives \(second.reason), the original \(decision.reason)"
            }
        }
        return nil
    }
}
