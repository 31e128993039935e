/// How serious a diagnostic is.
public enum Severity: String, Sendable, Hashable, Comparable {
    case error, warning, note

    private var rank: Int {
        switch self {
        case .error: 2
        case .warning: 1
        case .note: 0
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A secondary message attached to a diagnostic, usually pointing at another place
/// ("first defined here").
public struct DiagnosticNote: Sendable, Hashable {
    public var span: SourceSpan?
    public var message: String

    public init(_ message: String, at span: SourceSpan?) {
        self.message = message
        self.span = span
    }
}

/// One problem found in the input: a stable code, a location, a message, notes and a hint.
///
/// Messages follow one style: lowercase, no trailing period, user input in backticks;
/// further explanation goes into the hint.
public struct Diagnostic: Sendable, Hashable {
    public var severity: Severity
    public var code: DiagnosticCode
    public var span: SourceSpan?
    public var message: String
    public var notes: [DiagnosticNote]
    public var hint: String?

    public init(
        _ severity: Severity,
        _ code: DiagnosticCode,
        _ message: String,
        at span: SourceSpan?,
        notes: [DiagnosticNote] = [],
        hint: String? = nil
    ) {
        self.severity = severity
        self.code = code
        self.span = span
        self.message = message
        self.notes = notes
        self.hint = hint
    }
}

/// Collects diagnostics during a run. Recoverable problems go here; only fatal
/// ones are thrown.
public struct DiagnosticBag: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    public mutating func append(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
    }

    public mutating func append(contentsOf other: [Diagnostic]) {
        diagnostics.append(contentsOf: other)
    }

    public mutating func error(
        _ code: DiagnosticCode, _ message: String, at span: SourceSpan?,
        notes: [DiagnosticNote] = [], hint: String? = nil
    ) {
        append(Diagnostic(.error, code, message, at: span, notes: notes, hint: hint))
    }

    public mutating func warning(
        _ code: DiagnosticCode, _ message: String, at span: SourceSpan?,
        notes: [DiagnosticNote] = [], hint: String? = nil
    ) {
        append(Diagnostic(.warning, code, message, at: span, notes: notes, hint: hint))
    }

    public mutating func note(
        _ code: DiagnosticCode, _ message: String, at span: SourceSpan?,
        notes: [DiagnosticNote] = [], hint: String? = nil
    ) {
        append(Diagnostic(.note, code, message, at: span, notes: notes, hint: hint))
    }

    public var errorCount: Int { diagnostics.count { $0.severity == .error } }
    public var warningCount: Int { diagnostics.count { $0.severity == .warning } }
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// Diagnostics in reading order: by file path, then offset, then code. Stable, so
    /// the output never depends on the order in which checks ran.
    public var sorted: [Diagnostic] {
        diagnostics.enumerated().sorted { lhs, rhs in
            let a = lhs.element, b = rhs.element
            let pathA = a.span?.file.path ?? "", pathB = b.span?.file.path ?? ""
            if pathA != pathB { return pathA < pathB }
            let startA = a.span?.start ?? -1, startB = b.span?.start ?? -1
            if startA != startB { return startA < startB }
            if a.code.id != b.code.id { return a.code.id < b.code.id }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}

extension Diagnostic: Error {}
