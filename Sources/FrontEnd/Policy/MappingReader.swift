import Diagnostics

/// Looks up the keys of one YAML mapping against a known set, reporting unknown keys
/// (with a did-you-mean) and missing required ones, each at its own place.
struct MappingReader {
    let node: YAMLNode
    let pairs: [YAMLPair]
    /// Describes the mapping in messages: `authentication entry`, `rule`, `token location`.
    let what: String
    /// Known keys that an unknown key probably misspells: already reported with a
    /// did-you-mean, so they are not reported missing as well.
    let misspelled: Set<String>

    /// Nil (and reported) when `node` is not a mapping.
    init?(_ node: YAMLNode, what: String, known: [String], reader: inout ScalarReader) {
        switch node.kind {
        case .mapping(let pairs):
            self.node = node
            self.pairs = pairs
            self.what = what
        case .invalid:
            return nil
        default:
            reader.diagnostics.error(.wrongNodeKind, "\(what) must be a mapping, not \(node.kindDescription)", at: node.span,
                                     hint: "write `key: value` pairs")
            return nil
        }
        var misspelled: Set<String> = []
        for pair in pairs {
            guard let key = pair.keyText, !known.contains(key) else { continue }
            var hint = "valid keys: " + known.map { "`\($0)`" }.joined(separator: ", ")
            if let guess = Suggestion.closest(to: key, in: known) {
                hint = "did you mean `\(guess)`?"
                misspelled.insert(guess)
            } else if known.count == 1 {
                // A mapping of one key: an unknown key can only be a wrong spelling of it.
                misspelled.insert(known[0])
            }
            reader.diagnostics.error(.unknownKey, "unknown key `\(key)` in \(what)", at: pair.key.span, hint: hint)
        }
        self.misspelled = misspelled
    }

    subscript(key: String) -> YAMLNode? {
        pairs.first { $0.keyText == key }?.value
    }

    func pair(_ key: String) -> YAMLPair? {
        pairs.first { $0.keyText == key }
    }

    /// The value of a required key, or nil after reporting it missing.
    func required(_ key: String, reader: inout ScalarReader, hint: String? = nil) -> YAMLNode? {
        if let value = self[key] { return value }
        if misspelled.contains(key) { return nil }
        reader.diagnostics.error(.missingKey, "missing required key `\(key)` in \(what)", at: headSpan, hint: hint)
        return nil
    }

    /// The first line of the mapping: where "missing key" diagnostics point.
    var headSpan: SourceSpan {
        let file = node.span.file
        let lineIndex = file.lineIndex(containing: node.span.start)
        let lineEnd = file.lineRange(lineIndex).upperBound
        return SourceSpan(file: file, start: node.span.start, end: min(node.span.end, max(lineEnd, node.span.start + 1)))
    }
}
