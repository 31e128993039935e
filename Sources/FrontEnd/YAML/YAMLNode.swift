public import Diagnostics

/// A node of a YAML document with its exact source span.
///
/// Every mapping, key, sequence and scalar carries the byte range it came from, so a
/// diagnostic about any value can point at it precisely.
public struct YAMLNode: Sendable {
    public indirect enum Kind: Sendable {
        case scalar(YAMLScalar)
        case mapping([YAMLPair])
        case sequence([YAMLNode])
        /// A node that was already reported (an alias, a bad tag): consumers skip it
        /// silently so one mistake never cascades into more diagnostics.
        case invalid
    }

    public var kind: Kind
    public var span: SourceSpan
    /// The core-schema tag written on the node, without its prefix (`str`, `int`, …).
    public var tag: String?

    public init(kind: Kind, span: SourceSpan, tag: String? = nil) {
        self.kind = kind
        self.span = span
        self.tag = tag
    }

    /// A word for the node's kind, for messages (`a mapping`, `a list`, `a string`).
    public var kindDescription: String {
        switch kind {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .invalid: "an invalid value"
        case .scalar(let scalar): scalar.isNull ? "nothing (null)" : "a scalar"
        }
    }

    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = kind { return scalar }
        return nil
    }

    public var mapping: [YAMLPair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    public var isInvalid: Bool {
        if case .invalid = kind { return true }
        return false
    }
}

/// A key/value pair of a mapping, in source order.
public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode

    /// The key's text when the key is a scalar.
    public var keyText: String? { key.scalar?.value }
}

/// A scalar: its decoded value, its style, and how to map an offset in the value back
/// to the source.
public struct YAMLScalar: Sendable {
    public enum Style: Sendable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    public var value: String
    public var style: Style
    /// Set when the scalar carries `!!str` or a non-specific `!` tag: never typed implicitly.
    public var forcedString: Bool

    public init(value: String, style: Style, forcedString: Bool = false) {
        self.value = value
        self.style = style
        self.forcedString = forcedString
    }

    /// A plain, untagged scalar: the only kind whose text is typed implicitly.
    public var isPlain: Bool { style == .plain && !forcedString }

    /// The YAML 1.2 core-schema null: an empty plain scalar, `~` or `null`.
    public var isNull: Bool {
        isPlain && (value.isEmpty || value == "~" || value == "null" || value == "Null" || value == "NULL")
    }
}
