/// Turns a raw `HTTPRequest` into the `NormalizedRequest` that rules are matched
/// against, or refuses it with 400 `bad_request`.
///
/// The host is the request's `host` field, or else its `Host` header (two `Host`
/// headers are refused whatever the field says); see `HostNormalizer` and
/// `PathNormalizer` for the rest, and `docs/semantics.md` for every step.
public enum RequestNormalizer {
    public static func normalize(_ request: HTTPRequest) -> Result<NormalizedRequest, BadRequest> {
        guard isToken(request.method) else { return .failure(BadRequest(.invalidMethod, in: request.method, at: 0)) }
        var hostHeader: String?
        var hostHeaders = 0
        for header in request.headers where ASCII.equalsIgnoringCase(header.name, "host") {
            hostHeaders += 1
            if hostHeaders > 1 {
                return .failure(BadRequest(.twoHostHeaders, in: header.value, at: 0))
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
        switch HostNormalizer.normalize(rawHost) {
        case .success(let value): host = value
        case .failure(let problem): return .failure(problem)
        }
        switch PathNormalizer.normalize(target: request.target) {
        case .success(let path):
            return .success(NormalizedRequest(method: request.method, host: host, path: path.path,
                                              rawQuery: path.rawQuery, headers: request.headers))
        case .failure(let problem):
            return .failure(problem)
        }
    }

    /// RFC 9110 §5.6.2 `token`: one or more of ASCII letters, digits and ``!#$%&'*+-.^_`|~``.
    static func isToken(_ text: String) -> Bool {
        guard !text.isEmpty else { return false }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
                 UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
                 UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
                continue
            default:
                return false
            }
        }
        return true
    }
}
