/// Turns a raw `HTTPRequest` into the `NormalizedRequest` that rules are matched
/// against, or refuses it with 400 `bad_request`.
///
/// The host is the request's `host` field, or else its `Host` header (two `Host`
/// headers are refused whatever the field says); see `HostNormalizer` and
/// `PathNormalizer` for the rest, and `docs/semantics.md` for every step.
public enum RequestNormalizer {
    public static func normalize(_ request: HTTPRequest) -> Result<NormalizedRequest, BadRequest> {
        switch outcome(request) {
        case .normalized(let value): .success(value)
        case .refused(let problem): .failure(problem)
        }
    }

    /// What the decision path uses. A concrete enum, not `Result`: `Result`'s generic
    /// value witnesses cost a type-metadata lookup on every request.
    enum Outcome {
        case normalized(NormalizedRequest)
        case refused(BadRequest)
    }

    static func outcome(_ request: HTTPRequest) -> Outcome {
        guard isToken(request.method) else { return .refused(BadRequest(.invalidMethod, in: request.method, at: 0)) }
        var hostHeader: String?
        var hostHeaders = 0
        for header in request.headers where ASCII.equalsIgnoringCase(header.name, "host") {
            hostHeaders += 1
            if hostHeaders > 1 {
                return .refused(BadRequest(.twoHostHeaders, in: header.value, at: 0))
            }
            hostHeader = header.value
        }
        let rawHost: String
        if let field = request.host, !field.isEmpty {
            rawHost = field
        } else {
            rawHost = hostHeader ?? ""
        }

        let host: NormalizedHost
        switch HostNormalizer.outcome(rawHost) {
        case .host(let value): host = value
        case .refused(let problem): return .refused(problem)
        }
        switch PathNormalizer.outcome(target: request.target) {
        case .path(let path):
            return .normalized(NormalizedRequest(method: request.method, host: host, target: path, headers: request.headers))
        case .refused(let problem):
            return .refused(problem)
        }
    }

    /// RFC 9110 §5.6.2 `token`: one or more of ASCII letters, digits and ``!#$%&'*+-.^_`|~``.
    static func isToken(_ text: String) -> Bool {
        ASCII.withBytes(text) { bytes in
            !bytes.isEmpty && bytes.allSatisfy { ASCII.isMember($0, low: 0x03FF_6CFA_0000_0000, high: 0x57FF_FFFF_C7FF_FFFE) }
        }
    }
}
