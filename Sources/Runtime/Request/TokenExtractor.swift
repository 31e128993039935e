public import BundleFormat

/// Reads the token of an entry from every one of its locations.
///
/// - A header location reads every header of that name (case-insensitive). The prefix is
///   compared case-insensitively (auth schemes are, RFC 7235); after it, spaces and tabs
///   are skipped and the token's surrounding whitespace trimmed. A value without the
///   prefix is no token; a prefix with nothing after it is an empty token.
/// - A query location reads every parameter of that exact name, percent-decoded with `+`
///   left as `+`; a cookie location reads every cookie of that exact name, unquoted. An
///   empty value there is no token.
/// - Equal tokens found in several places count once; two different ones (even from the
///   same location) are `ambiguous`. An empty token counts as a token `""`: alone it is
///   `empty`, next to another it is `ambiguous`.
public enum TokenExtractor {
    public static func extract(from request: HTTPRequest, locations: [TokenLocation]) -> TokenExtraction {
        extract(headers: request.headers, rawQuery: rawQuery(ofTarget: request.target), locations: locations)
    }

    public static func extract(from request: NormalizedRequest, locations: [TokenLocation]) -> TokenExtraction {
        extract(headers: request.headers, query: request.rawQuery, locations: locations)
    }

    public static func extract(headers: [HTTPHeader], rawQuery: Substring?, locations: [TokenLocation]) -> TokenExtraction {
        extract(headers: headers, query: rawQuery, locations: locations)
    }

    /// The query is read only for a query location (most entries have none).
    static func extract(headers: [HTTPHeader], query: Substring?, locations: [TokenLocation]) -> TokenExtraction {
        extractNoting(headers: headers, query: query, locations: locations).extraction
    }

    /// ``extract(headers:query:locations:)``, and when the token was found in one place
    /// only, that location's index in `locations` (else -1). `singlePlaces`, when given,
    /// holds `[FoundToken(location)]` for each location, handed out for a token found in
    /// one place only (no array made per request).
    static func extractNoting(headers: [HTTPHeader], query: Substring?, locations: [TokenLocation],
                              singlePlaces: [[FoundToken]]? = nil) -> (extraction: TokenExtraction, onlyPlace: Int) {
        var found = Candidates()
        // Locations and headers by index, their fields read in place: a copied location or
        // header would retain each of its strings, on every request.
        for place in locations.indices {
            found.locationIndex = place
            switch locations[place].source {
            case .header:
                for index in headers.indices where ASCII.equalsIgnoringCase(headers[index].name, locations[place].name) {
                    if let token = afterPrefix(headers[index].value, prefix: locations[place].prefix) {
                        found.add(token, of: locations)
                    }
                }
            case .query:
                let location = locations[place]
                guard let rawQuery = query else { continue }
                for parameter in QueryParser.parameters(in: rawQuery)
                where QueryParser.decodedEquals(parameter.rawName, location.name) {
                    // `acc%65ss_token` is the token parameter to a backend that decodes
                    // names, but a proxy removing `access_token` would leave it in place:
                    // refuse rather than forward a token that could not be removed.
                    guard parameter.rawName.utf8.elementsEqual(location.name.utf8) else { return (.ambiguous, -1) }
                    guard let raw = parameter.rawValue, !raw.isEmpty else { continue }
                    let decoded = QueryParser.percentDecode(raw)
                    if let token = afterPrefix(decoded[...], prefix: location.prefix) {
                        found.add(token, of: locations)
                    }
                }
            case .cookie:
                let location = locations[place]
                for header in HeaderLookup.values(named: "cookie", in: headers) {
                    for cookie in CookieParser.cookies(in: header) where cookie.name.utf8.elementsEqual(location.name.utf8) {
                        guard !cookie.value.isEmpty else { continue }
                        if let token = afterPrefix(cookie.value, prefix: location.prefix) {
                            found.add(token, of: locations)
                        }
                    }
                }
            }
            if found.isAmbiguous { return (.ambiguous, -1) }
        }
        return (found.result(locations, singlePlaces: singlePlaces), found.places.isEmpty ? found.firstIndex : -1)
    }

    /// The query of a raw request-target: after the first `?`, before any `#`.
    static func rawQuery(ofTarget target: String) -> Substring? {
        let utf8 = target.utf8
        var i = utf8.startIndex
        while i < utf8.endIndex {
            switch utf8[i] {
            case ASCII.hash:
                return nil
            case ASCII.question:
                let start = utf8.index(after: i)
                var end = start
                while end < utf8.endIndex && utf8[end] != ASCII.hash { end = utf8.index(after: end) }
                return target[start..<end]
            default:
                i = utf8.index(after: i)
            }
        }
        return nil
    }

    /// The token in `value` after `prefix`, or `nil` when the value does not start with
    /// it. The prefix's own trailing whitespace (`Bearer `) stands for "at least one
    /// space or tab, or the end", so `Bearer` alone is an empty token and `Bearerxyz` is
    /// no token.
    static func afterPrefix(_ value: Substring, prefix: String) -> Substring? {
        // On the bytes: offsets first, then one Substring (index walking costs more than
        // the comparison itself on the decision path).
        ASCII.withBytes(value) { tokenBounds(in: $0, prefix: prefix) }.map { slice(value, $0) }
    }

    /// `afterPrefix` of a whole header value, read through the `String` itself.
    static func afterPrefix(_ value: String, prefix: String) -> Substring? {
        ASCII.withBytes(value) { tokenBounds(in: $0, prefix: prefix) }.map { slice(value, $0) }
    }

    @inline(__always)
    static func tokenBounds(in v: UnsafeBufferPointer<UInt8>, prefix: String) -> (start: Int, end: Int)? {
        ASCII.withBytes(prefix) { tokenBounds(in: v, prefix: $0) }
    }

    /// The part of `value` at byte offsets `bounds`.
    @inline(__always)
    static func slice<S: StringProtocol>(_ value: S, _ bounds: (start: Int, end: Int)) -> S.SubSequence {
        let utf8 = value.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: bounds.start)
        return value[start..<utf8.index(start, offsetBy: bounds.end - bounds.start)]
    }

    /// `afterPrefix` on bytes: the token's byte offsets in `v`, or nil.
    @inline(__always)
    static func tokenBounds(in v: UnsafeBufferPointer<UInt8>, prefix p: UnsafeBufferPointer<UInt8>) -> (start: Int, end: Int)? {
        var start = 0, end = v.count
        while start < end && ASCII.isWhitespace(v[start]) { start += 1 }
        while end > start && ASCII.isWhitespace(v[end - 1]) { end -= 1 }
        var core = p.count
        while core > 0 && ASCII.isWhitespace(p[core - 1]) { core -= 1 }
        guard core > 0 else { return (start, end) }
        guard end - start >= core else { return nil }
        for i in 0..<core where ASCII.lowercased(v[start + i]) != ASCII.lowercased(p[i]) { return nil }
        var rest = start + core
        // `Bearer ` needs a space or tab after `Bearer`, or the end.
        if core < p.count, rest < end, !ASCII.isWhitespace(v[rest]) { return nil }
        while rest < end && ASCII.isWhitespace(v[rest]) { rest += 1 }
        return (rest, end)
    }

    /// The distinct tokens seen so far and where.
    struct Candidates {
        var token: Substring?
        var isAmbiguous = false
        /// The index of the location being read.
        var locationIndex = 0
        /// The first place, as its location's index (-1: none yet); `places` is filled only
        /// once a second distinct place turns up (then it holds every place, the first too).
        var firstIndex = -1
        var places: [FoundToken] = []

        /// A token found at `locations[locationIndex]`.
        mutating func add(_ candidate: Substring, of locations: [TokenLocation]) {
            if let token {
                // Bytes, not Unicode equivalence: `K` and U+212A are different tokens.
                guard token.utf8.elementsEqual(candidate.utf8) else {
                    isAmbiguous = true
                    return
                }
            } else {
                token = candidate
            }
            guard firstIndex >= 0 else {
                firstIndex = locationIndex
                return
            }
            let place = FoundToken(locations[locationIndex])
            if places.isEmpty {
                let first = FoundToken(locations[firstIndex])
                if place != first { places = [first, place] }
            } else if !places.contains(place) {
                places.append(place)
            }
        }

        func result(_ locations: [TokenLocation], singlePlaces: [[FoundToken]]?) -> TokenExtraction {
            if isAmbiguous { return .ambiguous }
            guard let token, firstIndex >= 0 else { return .none }
            if token.isEmpty { return .empty }
            if !places.isEmpty { return .token(token, foundAt: places) }
            return .token(token, foundAt: singlePlaces?[firstIndex] ?? [FoundToken(locations[firstIndex])])
        }
    }
}
