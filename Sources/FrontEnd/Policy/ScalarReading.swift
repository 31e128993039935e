import Diagnostics

/// Reads typed values out of YAML nodes, reporting located diagnostics.
///
/// Scalars are typed by their place in the schema, YAML 1.2 style: booleans are `true`
/// and `false` only, integers are plain decimal, durations are `90s`, `5m`, `1h30m` or a
/// bare number of seconds. Every reader returns nil after reporting a problem, and
/// says nothing about nodes that were already reported (`.invalid`).
struct ScalarReader {
    var diagnostics = DiagnosticBag()

    /// Any non-null scalar, as text.
    mutating func string(_ node: YAMLNode, what: String) -> Located<String>? {
        switch node.kind {
        case .invalid:
            return nil
        case .scalar(let scalar) where !scalar.isNull:
            return Located(scalar.value, at: node.span)
        default:
            diagnostics.error(.wrongNodeKind, "\(what) must be a string, not \(node.kindDescription)", at: node.span)
            return nil
        }
    }

    /// A string that is not empty.
    mutating func nonEmptyString(_ node: YAMLNode, what: String) -> Located<String>? {
        guard let text = string(node, what: what) else { return nil }
        if text.value.trimmingASCIIWhitespace().isEmpty {
            diagnostics.error(.emptyValue, "\(what) must not be empty", at: node.span)
            return nil
        }
        return text
    }

    mutating func bool(_ node: YAMLNode, what: String) -> Located<Bool>? {
        guard case .scalar(let scalar) = node.kind, !scalar.isNull else {
            if !node.isInvalid {
                diagnostics.error(.wrongNodeKind, "\(what) must be `true` or `false`, not \(node.kindDescription)", at: node.span)
            }
            return nil
        }
        if scalar.isPlain || node.tag == "bool" {
            if scalar.value == "true" { return Located(true, at: node.span) }
            if scalar.value == "false" { return Located(false, at: node.span) }
        }
        let lowered = scalar.value.lowercased()
        let yamlOneOne = ["yes", "no", "on", "off", "y", "n", "true", "false"]
        let hint: String
        if !scalar.isPlain && (lowered == "true" || lowered == "false") {
            hint = "remove the quotes: a quoted `\(scalar.value)` is a string"
        } else if yamlOneOne.contains(lowered) {
            hint = "write `true` or `false`; YAML 1.1 spellings such as `yes`, `on`, `no` and `off` are not booleans here"
        } else {
            hint = "write `true` or `false`"
        }
        diagnostics.error(.invalidBoolean, "\(what) must be `true` or `false`, not `\(scalar.value)`", at: node.span, hint: hint)
        return nil
    }

    /// A plain decimal integer within `range`.
    mutating func integer(_ node: YAMLNode, what: String, range: ClosedRange<Int>) -> Located<Int>? {
        guard case .scalar(let scalar) = node.kind, !scalar.isNull else {
            if !node.isInvalid {
                diagnostics.error(.wrongNodeKind, "\(what) must be an integer, not \(node.kindDescription)", at: node.span)
            }
            return nil
        }
        guard scalar.isPlain || node.tag == "int", let value = Self.decimal(scalar.value) else {
            let shown = scalar.isPlain ? "`\(scalar.value.displayEscaped)`" : "the string `\(scalar.value.displayEscaped)`"
            diagnostics.error(.invalidInteger, "\(what) must be a decimal integer, not \(shown)", at: node.span,
                              hint: scalar.isPlain ? "write digits only, without sign, leading zeros, `0x` or `_`" : "remove the quotes")
            return nil
        }
        guard range.contains(value) else {
            diagnostics.error(.invalidInteger, "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(value)", at: node.span)
            return nil
        }
        return Located(value, at: node.span)
    }

    /// A duration in seconds: `90s`, `5m`, `1h`, `1h30m`, `1h30m15s`, or bare seconds.
    mutating func duration(_ node: YAMLNode, what: String, range: ClosedRange<Int>) -> Located<Int>? {
        guard case .scalar(let scalar) = node.kind, !scalar.isNull else {
            if !node.isInvalid {
                diagnostics.error(.wrongNodeKind, "\(what) must be a duration, not \(node.kindDescription)", at: node.span)
            }
            return nil
        }
        guard let seconds = Self.parseDuration(scalar.value) else {
            diagnostics.error(.invalidDuration, "\(what) is not a duration: `\(scalar.value)`", at: node.span,
                              hint: "write a duration such as `90s`, `5m`, `1h`, `1h30m`, or a whole number of seconds")
            return nil
        }
        guard range.contains(seconds) else {
            diagnostics.error(.invalidDuration, "\(what) must be between \(Self.formatDuration(range.lowerBound)) and \(Self.formatDuration(range.upperBound))", at: node.span)
            return nil
        }
        return Located(seconds, at: node.span)
    }

    /// One of a fixed set of words, with the valid ones listed and a did-you-mean.
    mutating func enumeration<E: RawRepresentable & CaseIterable & Sendable>(_ node: YAMLNode, what: String, as: E.Type) -> Located<E>? where E.RawValue == String {
        guard let text = string(node, what: what) else { return nil }
        if let value = E(rawValue: text.value) { return Located(value, at: node.span) }
        let valid = E.allCases.map(\.rawValue)
        var hint = "valid values: " + valid.map { "`\($0)`" }.joined(separator: ", ")
        if let guess = Suggestion.closest(to: text.value, in: valid) { hint = "did you mean `\(guess)`? " + hint }
        diagnostics.error(.invalidEnumValue, "`\(text.value)` is not a valid \(what)", at: node.span, hint: hint)
        return nil
    }

    /// A list node's items, or nil (reported) when the node is not a list.
    mutating func list(_ node: YAMLNode, what: String) -> [YAMLNode]? {
        switch node.kind {
        case .sequence(let items): return items
        case .invalid: return nil
        default:
            var hint = "write a YAML list, such as `[a, b]`"
            if case .scalar(let scalar) = node.kind, !scalar.isNull, !scalar.value.isEmpty, scalar.value.utf8.count <= 60 {
                hint = "a list of one is written `[\(scalar.value)]`"
            }
            diagnostics.error(.wrongNodeKind, "\(what) must be a list, not \(node.kindDescription)", at: node.span, hint: hint)
            return nil
        }
    }

    static func decimal(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 18, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if bytes.count > 1 && bytes[0] == UInt8(ascii: "0") { return nil }
        return Int(text)
    }

    static func parseDuration(_ text: String) -> Int? {
        if let seconds = decimal(text) { return seconds }
        var total = 0
        var number: [UInt8] = []
        var lastUnit = 4
        var sawUnit = false
        for byte in text.utf8 {
            if byte >= 0x30 && byte <= 0x39 {
                number.append(byte)
                continue
            }
            let (rank, factor): (Int, Int)
            switch byte {
            case UInt8(ascii: "d"): (rank, factor) = (3, 86_400)
            case UInt8(ascii: "h"): (rank, factor) = (2, 3_600)
            case UInt8(ascii: "m"): (rank, factor) = (1, 60)
            case UInt8(ascii: "s"): (rank, factor) = (0, 1)
            default: return nil
            }
            guard rank < lastUnit, let value = decimal(String(decoding: number, as: UTF8.self)),
                  value < 1_000_000 else { return nil }
            total += value * factor
            lastUnit = rank
            number = []
            sawUnit = true
        }
        return sawUnit && number.isEmpty ? total : nil
    }

    /// `3600` as `1h`, `5400` as `1h30m`.
    static func formatDuration(_ seconds: Int) -> String {
        if seconds == 0 { return "0s" }
        var rest = seconds
        var text = ""
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }
}

extension String {
    func trimmingASCIIWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return self[first...last]
    }
}

extension String {
    /// The text with control characters written as escapes, safe to show in a message.
    public var displayEscaped: String {
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value):
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
