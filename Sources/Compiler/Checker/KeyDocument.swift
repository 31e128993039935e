import Diagnostics
import FrontEnd
import JOSE

/// An entry's JWKS in whichever form it was written, with the means to turn a position
/// in it back into a source span: a YAML mapping (positions are YAML nodes), JSON text
/// inside a YAML string (positions map through the scalar), a `jwksFile`, or a set fetched
/// by `compile --fetch-jwks` (every position is the entry's `jwksUri` or `discovery` value).
struct KeyDocument {
    let source: JWKSSource
    /// The parsed JSON when the keys were given as text (for span lookups).
    private(set) var rootForLookup: JSONValue = .null(span: 0..<0)

    init(_ source: JWKSSource) {
        self.source = source
    }

    /// Whether JSON spans are offsets into text (JSON string or file), rather than YAML.
    var spansAreText: Bool {
        if case .mapping = source { return false }
        return true
    }

    var wholeSpan: SourceSpan {
        switch source {
        case .mapping(let node), .jsonText(let node): node.span
        case .file(_, let file): SourceSpan(file: file, start: 0, end: min(1, file.bytes.count))
        case .fetched(_, _, let span): span
        }
    }

    /// The URL of a fetched set, which its messages name.
    var fetchedURL: String? {
        if case .fetched(let url, _, _) = source { return url }
        return nil
    }

    /// The JWKS as JSON; a syntax error is reported at its line and column.
    mutating func parse(into diagnostics: inout DiagnosticBag) -> JSONValue? {
        let text: [UInt8]
        switch source {
        case .mapping(let node):
            rootForLookup = Self.json(from: node)
            return rootForLookup
        case .jsonText(let node):
            text = Array((node.scalar?.value ?? "").utf8)
        case .file(_, let file):
            text = file.bytes
        case .fetched(_, let body, _):
            text = body
        }
        do {
            rootForLookup = try StrictJSON.parse(text, limits: JWKSValidation.limits)
            return rootForLookup
        } catch {
            let lineWrapped = error.kind == .lineBreakInString
            diagnostics.error(.jwksSyntax, (fetchedURL.map { "`\($0)`: " } ?? "") + "the JWKS is not valid JSON: \(error.message)",
                              at: span(textRange: error.offset..<(error.offset + 1)),
                              hint: lineWrapped ? "the value looks line-wrapped, as the console's documentation prints it: join the lines into one" : nil)
            return nil
        }
    }

    /// A byte range of the JSON text, as a source span.
    func span(textRange: Range<Int>) -> SourceSpan {
        switch source {
        case .mapping(let node): node.span
        case .jsonText(let node): node.span(ofValueRange: textRange)
        case .file(_, let file):
            SourceSpan(file: file, start: min(textRange.lowerBound, file.bytes.count), end: min(textRange.upperBound, file.bytes.count))
        case .fetched(_, _, let span): span
        }
    }

    /// The place of key `keyIndex`, its `member`, and a byte inside that member's value.
    func span(keyIndex: Int, member: String?, valueOffset: Int?, root: JSONValue) -> SourceSpan {
        if case .mapping(let node) = source {
            guard let keys = node.mapping?.first(where: { $0.keyText == "keys" })?.value.sequence, keyIndex < keys.count else { return node.span }
            let key = keys[keyIndex]
            guard let member, let pair = key.mapping?.first(where: { $0.keyText == member }) else { return key.span }
            if let valueOffset { return pair.value.span(ofValueRange: valueOffset..<(valueOffset + 1)) }
            return pair.value.span
        }
        guard let keys = root[member: "keys"]?.elements, keyIndex < keys.count else { return wholeSpan }
        let key = keys[keyIndex]
        guard let member, let found = key.member(member) else { return span(textRange: key.span) }
        if let valueOffset, case .string(let text, let valueSpan) = found.value, valueSpan.count == text.utf8.count + 2 {
            return span(textRange: (valueSpan.lowerBound + 1 + valueOffset)..<(valueSpan.lowerBound + 2 + valueOffset))
        }
        return span(textRange: found.value.span)
    }

    /// A YAML mapping as JSON: mappings are objects, lists arrays, scalars strings.
    static func json(from node: YAMLNode) -> JSONValue {
        let range = node.span.start..<node.span.end
        switch node.kind {
        case .mapping(let pairs):
            return .object(pairs.map { pair in
                JSONMember(name: pair.keyText ?? "", nameSpan: pair.key.span.start..<pair.key.span.end, value: json(from: pair.value))
            }, span: range)
        case .sequence(let items):
            return .array(items.map(json(from:)), span: range)
        case .scalar(let scalar):
            return scalar.isNull ? .null(span: range) : .string(scalar.value, span: range)
        case .invalid:
            return .null(span: range)
        }
    }
}
