internal import CYAML
public import Diagnostics

/// One YAML document of a file.
public struct YAMLDocument: Sendable {
    public var root: YAMLNode
    /// The span from the document's start to its end.
    public var span: SourceSpan
}

/// Reads YAML with libyaml's event API into located node trees.
///
/// Only the YAML 1.2 core schema is accepted: anchors and aliases are refused (so no
/// alias expansion can blow up), tags outside the core schema are errors, duplicate keys
/// are errors, and nesting is bounded.
public struct YAMLReader: Sendable {
    public static let defaultMaxDepth = 64

    public var maxDepth: Int

    public init(maxDepth: Int = YAMLReader.defaultMaxDepth) {
        self.maxDepth = maxDepth
    }

    /// Parses every document of `file`. On a syntax error the documents read so far are
    /// kept and the error is reported at libyaml's mark.
    public func read(_ file: SourceFile, diagnostics: inout DiagnosticBag) -> [YAMLDocument] {
        if let bad = UTF8Check.firstInvalidOffset(file.bytes) {
            diagnostics.error(
                .invalidUTF8, "the file is not valid UTF-8 (byte 0x\(hex(file.bytes[bad])) at offset \(bad))",
                at: SourceSpan(file: file, start: bad, end: bad + 1),
                hint: "save the file as UTF-8")
            return []
        }
        var builder = TreeBuilder(file: file, maxDepth: maxDepth)
        builder.run()
        diagnostics.append(contentsOf: builder.diagnostics)
        return builder.documents
    }
}

private func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}

/// Turns libyaml events into `YAMLNode` trees.
private struct TreeBuilder {
    enum Frame {
        case mapping(start: Int, tag: String?, block: Bool, pairs: [YAMLPair], pendingKey: YAMLNode?)
        case sequence(start: Int, tag: String?, block: Bool, items: [YAMLNode])
    }

    let file: SourceFile
    let maxDepth: Int
    /// libyaml counts marks in characters; this maps a character index to a byte offset.
    let characterOffsets: [Int]?
    let bomLength: Int
    var documents: [YAMLDocument] = []
    var diagnostics: [Diagnostic] = []
    var stack: [Frame] = []
    var documentRoot: YAMLNode?
    var documentStart = 0
    /// Set when a node was too deep: everything inside it is skipped.
    var skipDepth = 0
    /// Anchors and aliases are reported once per file (a billion-laughs file has thousands).
    var anchorReported = false

    init(file: SourceFile, maxDepth: Int) {
        self.file = file
        self.maxDepth = maxDepth
        let bytes = file.bytes
        bomLength = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        if bytes.allSatisfy({ $0 < 0x80 }) {
            characterOffsets = nil
        } else {
            var offsets: [Int] = []
            offsets.reserveCapacity(bytes.count + 1)
            var index = bomLength
            while index < bytes.count {
                offsets.append(index)
                index += 1
                while index < bytes.count, bytes[index] & 0xC0 == 0x80 { index += 1 }
            }
            offsets.append(bytes.count)
            characterOffsets = offsets
        }
    }

    func offset(_ mark: yaml_mark_t) -> Int {
        let index = Int(mark.index)
        guard let characterOffsets else { return min(index + bomLength, file.bytes.count) }
        return characterOffsets[min(index, characterOffsets.count - 1)]
    }

    func span(_ start: yaml_mark_t, _ end: yaml_mark_t) -> SourceSpan {
        SourceSpan(file: file, start: offset(start), end: offset(end))
    }

    mutating func error(_ code: DiagnosticCode, _ message: String, at span: SourceSpan, notes: [DiagnosticNote] = [], hint: String? = nil) {
        diagnostics.append(Diagnostic(.error, code, message, at: span, notes: notes, hint: hint))
    }

    mutating func run() {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            error(.yamlSyntax, "libyaml could not be initialised", at: SourceSpan(file: file, start: 0, end: 0))
            return
        }
        defer { yaml_parser_delete(&parser) }
        file.bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    reportSyntaxError(parser)
                    return
                }
                let done = event.type == YAML_STREAM_END_EVENT
                handle(&event)
                yaml_event_delete(&event)
                if done { return }
            }
        }
    }

    mutating func reportSyntaxError(_ parser: yaml_parser_t) {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
        // One byte at the mark, or none at the end of the file (libyaml marks the end of
        // the stream one past the last byte): a span never reaches outside its file.
        func span(at mark: yaml_mark_t) -> SourceSpan {
            let start = offset(mark)
            return SourceSpan(file: file, start: start, end: min(start + 1, file.bytes.count))
        }
        let at = span(at: parser.problem_mark)
        var notes: [DiagnosticNote] = []
        if let context = parser.context {
            let contextSpan = span(at: parser.context_mark)
            notes.append(DiagnosticNote(String(cString: context), at: contextSpan))
        }
        var hint: String? = nil
        let markOffset = offset(parser.problem_mark)
        let atTab = markOffset < file.bytes.count && file.bytes[markOffset] == UInt8(ascii: "\t")
        if problem.contains("tab") || atTab {
            hint = "indent YAML with spaces, never tabs"
        } else if problem.contains("mapping values are not allowed") {
            hint = "a value that contains `: ` must be quoted"
        }
        error(.yamlSyntax, "invalid YAML: \(problem)", at: at, notes: notes, hint: hint)
    }

    mutating func handle(_ event: inout yaml_event_t) {
        let eventSpan = span(event.start_mark, event.end_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documentStart = offset(event.start_mark)
            documentRoot = nil
            stack = []
            skipDepth = 0
        case YAML_DOCUMENT_END_EVENT:
            if let root = documentRoot {
                documents.append(YAMLDocument(root: root, span: SourceSpan(file: file, start: documentStart, end: offset(event.end_mark))))
            }
            documentRoot = nil
        case YAML_ALIAS_EVENT:
            guard skipDepth == 0 else { return }
            let name = String(cString: event.data.alias.anchor)
            reportAnchor("YAML aliases are not accepted (`*\(name)`)", at: eventSpan)
            add(YAMLNode(kind: .invalid, span: eventSpan))
        case YAML_SCALAR_EVENT:
            guard skipDepth == 0 else { return }
            let data = event.data.scalar
            checkAnchor(data.anchor, at: eventSpan)
            let tag = checkTag(data.tag, at: eventSpan, kind: .scalar)
            let value = String(decoding: UnsafeBufferPointer(start: data.value, count: Int(data.length)), as: UTF8.self)
            let style: YAMLScalar.Style = switch data.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: .literal
            case YAML_FOLDED_SCALAR_STYLE: .folded
            default: .plain
            }
            let nonSpecific = data.tag != nil && String(cString: data.tag) == "!"
            let forced = tag == "str" || nonSpecific
            if tag == .some(nil) {
                add(YAMLNode(kind: .invalid, span: eventSpan))
            } else {
                add(YAMLNode(kind: .scalar(YAMLScalar(value: value, style: style, forcedString: forced)), span: eventSpan, tag: tag ?? nil))
            }
        case YAML_SEQUENCE_START_EVENT:
            let data = event.data.sequence_start
            if enterCollection(at: eventSpan) {
                checkAnchor(data.anchor, at: eventSpan)
                let tag = checkTag(data.tag, at: eventSpan, kind: .sequence) ?? nil
                let block = data.style != YAML_FLOW_SEQUENCE_STYLE
                stack.append(.sequence(start: offset(event.start_mark), tag: tag, block: block, items: []))
            }
        case YAML_MAPPING_START_EVENT:
            let data = event.data.mapping_start
            if enterCollection(at: eventSpan) {
                checkAnchor(data.anchor, at: eventSpan)
                let tag = checkTag(data.tag, at: eventSpan, kind: .mapping) ?? nil
                let block = data.style != YAML_FLOW_MAPPING_STYLE
                stack.append(.mapping(start: offset(event.start_mark), tag: tag, block: block, pairs: [], pendingKey: nil))
            }
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            if skipDepth > 0 {
                skipDepth -= 1
                if skipDepth == 0 { add(YAMLNode(kind: .invalid, span: eventSpan)) }
                return
            }
            guard let frame = stack.popLast() else { return }
            // A flow collection ends at its bracket; a block collection at its last value
            // (libyaml's block end mark sits at the next token, past blank lines and comments).
            let end = offset(event.end_mark)
            switch frame {
            case .sequence(let start, let tag, let block, let items):
                let last = block ? (items.last?.span.end ?? start) : end
                add(YAMLNode(kind: .sequence(items), span: SourceSpan(file: file, start: start, end: last), tag: tag))
            case .mapping(let start, let tag, let block, let pairs, _):
                let last = block ? (pairs.last?.value.span.end ?? start) : end
                add(YAMLNode(kind: .mapping(pairs), span: SourceSpan(file: file, start: start, end: last), tag: tag))
            }
        default:
            break
        }
    }

    /// Counts nesting; past the bound the collection is reported once and skipped.
    mutating func enterCollection(at span: SourceSpan) -> Bool {
        if skipDepth > 0 {
            skipDepth += 1
            return false
        }
        if stack.count >= maxDepth {
            error(.nestingTooDeep, "YAML nesting is deeper than \(maxDepth) levels", at: span)
            skipDepth = 1
            return false
        }
        return true
    }

    mutating func checkAnchor(_ anchor: UnsafeMutablePointer<yaml_char_t>?, at span: SourceSpan) {
        guard let anchor else { return }
        reportAnchor("YAML anchors are not accepted (`&\(String(cString: anchor))`)", at: span)
    }

    mutating func reportAnchor(_ message: String, at span: SourceSpan) {
        guard !anchorReported else { return }
        anchorReported = true
        error(.anchorOrAlias, message, at: span,
              hint: "write the value out in full; policies are reviewed as written (later anchors and aliases in this file are not reported)")
    }

    /// The core-schema tag's short name; `.some(nil)` when the tag was rejected.
    enum TaggedKind { case scalar, sequence, mapping }

    mutating func checkTag(_ tag: UnsafeMutablePointer<yaml_char_t>?, at span: SourceSpan, kind: TaggedKind) -> String?? {
        guard let tag else { return .none }
        let text = String(cString: tag)
        if text == "!" { return .none }
        let prefix = "tag:yaml.org,2002:"
        if text.hasPrefix(prefix) {
            let name = String(text.dropFirst(prefix.count))
            let fits = switch kind {
            case .scalar: ["str", "int", "bool", "null", "float"].contains(name)
            case .sequence: name == "seq"
            case .mapping: name == "map"
            }
            if fits { return .some(name) }
            if ["str", "int", "bool", "null", "float", "map", "seq"].contains(name) {
                error(.unsupportedTag, "the YAML tag `!!\(name)` does not fit this \(kind == .scalar ? "scalar" : kind == .sequence ? "list" : "mapping")", at: span,
                      hint: "remove the tag; values are typed by their place in the policy")
                return .some(nil)
            }
        }
        let shown = text.hasPrefix(prefix) ? "!!" + text.dropFirst(prefix.count) : text
        error(.unsupportedTag, "the YAML tag `\(shown)` is not part of the core schema", at: span,
              hint: "remove the tag; values are typed by their place in the policy")
        return .some(nil)
    }

    /// Adds a finished node to the collection being built, or makes it the document root.
    mutating func add(_ node: YAMLNode) {
        guard var frame = stack.popLast() else {
            documentRoot = node
            return
        }
        switch frame {
        case .sequence(let start, let tag, let block, var items):
            items.append(node)
            frame = .sequence(start: start, tag: tag, block: block, items: items)
        case .mapping(let start, let tag, let block, var pairs, let pendingKey):
            if let key = pendingKey {
                addPair(YAMLPair(key: key, value: node), to: &pairs)
                frame = .mapping(start: start, tag: tag, block: block, pairs: pairs, pendingKey: nil)
            } else {
                frame = .mapping(start: start, tag: tag, block: block, pairs: pairs, pendingKey: node)
            }
        }
        stack.append(frame)
    }

    mutating func addPair(_ pair: YAMLPair, to pairs: inout [YAMLPair]) {
        switch pair.key.kind {
        case .scalar(let key):
            if let first = pairs.first(where: { $0.key.scalar?.value == key.value }) {
                error(.duplicateKey, "the key `\(key.value)` appears twice in this mapping", at: pair.key.span,
                      notes: [DiagnosticNote("first used here", at: first.key.span)],
                      hint: "remove one of them; YAML keeps only one and which one differs between tools")
                return
            }
        case .mapping, .sequence:
            error(.complexKey, "a mapping key must be a plain string, not \(pair.key.kindDescription)", at: pair.key.span)
            return
        case .invalid:
            return
        }
        pairs.append(pair)
    }
}
