import NIOHTTP1

/// How long a response may be reused, from its caching headers (RFC 9111 §4.2.1):
/// `Cache-Control: max-age` (`no-store`/`no-cache` count as 0), else `Expires` minus
/// `Date` (or minus `now` without `Date`). Nil: the headers say nothing usable.
enum HTTPCaching {
    static func freshness(_ headers: HTTPHeaders, now: Double) -> Double? {
        let directives = headers["cache-control"].flatMap { $0.split(separator: ",") }
            .map { $0.trimming(" \t").lowercased() }
        if directives.contains("no-store") || directives.contains("no-cache") { return 0 }
        for directive in directives where directive.hasPrefix("max-age=") {
            // An invalid max-age makes the response stale (RFC 9111 §4.2.1).
            guard let seconds = UInt64(directive.dropFirst("max-age=".count).trimming("\"")) else { return 0 }
            return Double(min(seconds, 1 << 40))
        }
        guard let expiresText = headers.first(name: "expires") else { return nil }
        // An invalid Expires (such as "0") means already expired (RFC 9111 §5.3).
        guard let expires = HTTPDate.parse(expiresText) else { return 0 }
        let date = headers.first(name: "date").flatMap(HTTPDate.parse) ?? now
        return max(0, expires - date)
    }
}

/// The IMF-fixdate form of an HTTP date (RFC 9110 §5.6.7), `Sun, 06 Nov 1994 08:49:37 GMT`,
/// the only form a sender may generate; the obsolete forms are not accepted (the response
/// then counts as having no usable date).
enum HTTPDate {
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func parse(_ text: String) -> Double? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
              let day = Int(parts[1]), (1...31).contains(day),
              let month = months.firstIndex(of: parts[2].lowercased()),
              let year = Int(parts[3]), parts[3].count == 4 else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        return Double(daysFromCivil(year: year, month: month + 1, day: day) * 86_400 + hour * 3600 + minute * 60 + second)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

extension Substring {
    func trimming(_ set: String) -> String {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}

extension String {
    func trimming(_ set: String) -> String { self[...].trimming(set) }
}
