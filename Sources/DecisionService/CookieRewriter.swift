public import Runtime

/// Takes token cookies out of the request's `cookie` header(s), keeping every other
/// cookie byte for byte, in order, joined into one header.
public enum CookieRewriter {
    /// The change to the upstream `cookie` header when the cookies named `names` are removed.
    public static func rewrite(_ headers: [HTTPHeader], removing names: [String]) -> ServiceResponse.CookieChange {
        var kept: [Substring] = []
        var removedAny = false
        for header in headers where header.name.lowercased() == "cookie" {
            for part in header.value.split(separator: ";", omittingEmptySubsequences: true) {
                let field = trimmed(part)
                if field.isEmpty { continue }
                let name = field.prefix { $0 != "=" }
                if names.contains(where: { $0 == name }) {
                    removedAny = true
                } else {
                    kept.append(field)
                }
            }
        }
        if !removedAny { return .keep }
        if kept.isEmpty { return .remove }
        return .set(kept.joined(separator: "; "))
    }

    static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
