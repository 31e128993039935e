public import Diagnostics

/// A policy test file (`*.test.yaml`): test signing keys and cases.
public struct PolicyTestFile: Sendable {
    public var file: SourceFile
    /// The file's own clock, in seconds since the epoch.
    public var now: Located<Double>?
    public var signingKeys: [TestSigningKey]
    public var cases: [PolicyTestCase]
}

/// A key generated afresh for every run: no private key is ever committed. When it names
/// an entry, the test run (and only the test run) adds its public key to that entry.
public struct TestSigningKey: Sendable {
    public var name: Located<String>
    public var entry: Located<String>?
    public var algorithm: Located<String>
    public var kid: String?
}

/// One request and what must happen to it.
public struct PolicyTestCase: Sendable {
    public var name: Located<String>
    public var span: SourceSpan
    public var method: String
    public var host: String?
    public var target: String
    public var headers: [(name: String, value: String)]
    public var cookies: [(name: String, value: String)]
    public var token: TestToken?
    public var expect: TestExpectation
}

/// The token a case sends: signed by the run, or a literal string.
public struct TestToken: Sendable {
    public enum Source: Sendable {
        case signed(key: Located<String>, header: [(String, TestValue)], claims: [(String, TestValue)])
        case literal(String)
    }

    public var source: Source
    /// Where to put it; nil means the first token location of the key's entry (or the
    /// `Authorization` header with `Bearer `).
    public var location: (from: String, name: String, prefix: String)?
    public var span: SourceSpan
}

/// A JSON-like value written in a test file, typed YAML 1.2 style.
public indirect enum TestValue: Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    /// `+1h`, `-5m`: seconds relative to the case's clock (for `exp`, `nbf`, `iat`).
    case relativeTime(Int)
    case array([TestValue])
    case object([(String, TestValue)])
}

/// What a case expects; nil members are not checked.
public struct TestExpectation: Sendable {
    public var decision: Located<String>?
    public var status: Located<Int>?
    public var reason: Located<String>?
    /// `.some(nil)` expects no entry.
    public var entry: Located<String?>?
    public var headersSet: [(String, String)]?
    public var headersRemoved: [String]?
    /// Query parameters and cookies that must be removed (the token, unless passed through).
    public var queryRemoved: [String]?
    public var cookiesRemoved: [String]?
    /// The `WWW-Authenticate` value: exact, or a part of it.
    public var wwwAuthenticate: Located<TextExpectation>?
    /// A part of the operator's message.
    public var message: Located<TextExpectation>?
    public var span: SourceSpan
}

/// How a text must look: exactly this, or containing this.
public enum TextExpectation: Sendable, Hashable, CustomStringConvertible {
    case exactly(String)
    case contains(String)

    public func matches(_ text: String?) -> Bool {
        switch self {
        case .exactly(let expected): text == expected
        case .contains(let part): text?.contains(part) ?? false
        }
    }

    public var description: String {
        switch self {
        case .exactly(let expected): "`\(expected)`"
        case .contains(let part): "a text containing `\(part)`"
        }
    }
}
