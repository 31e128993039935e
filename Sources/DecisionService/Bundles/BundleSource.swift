/// Where bundles come from: a file, an HTTP server or an OCI registry. A source fetches the
/// bundle's bytes; it never activates anything (the `BundleReloader` verifies and swaps).
public protocol BundleSource: Sendable {
    /// `file`, `http` or `oci`: the kind, for logs and metrics.
    var kind: String { get }
    /// The location without credentials, for logs.
    var location: String { get }
    /// Fetches the bundle, or `.unchanged` when `tag` (from an earlier `.bundle`) still
    /// describes what the source holds. `force` skips the shortcut.
    func fetch(ifChangedFrom tag: String?, force: Bool) async throws(BundleSourceError) -> BundleFetch
}

/// What a fetch found.
public enum BundleFetch: Sendable, Equatable {
    /// The source holds what `tag` named (a 304, the same file, the same manifest digest).
    case unchanged
    /// New bytes, with the tag that names them at the source.
    case bundle([UInt8], tag: String)
}

/// A source that could not be read: unreachable, refused, oversized, a bad digest. The
/// text names the problem; it never carries credentials.
public struct BundleSourceError: Error, Sendable, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Limits every remote source applies.
public struct BundleFetchLimits: Sendable {
    /// The largest bundle accepted (a manifest is capped at 64 KiB).
    public var maxBytes: Int
    /// Connect plus total time per request.
    public var timeout: Duration

    public init(maxBytes: Int = 16 << 20, timeout: Duration = .seconds(10)) {
        self.maxBytes = maxBytes
        self.timeout = timeout
    }
}

/// Extra request headers for a bundle server or registry (a bearer token, an API key).
/// Their values are credentials: never logged.
public struct BundleCredentials: Sendable {
    public var headers: [(name: String, value: String)]

    public init(headers: [(name: String, value: String)] = []) {
        self.headers = headers
    }

    public static let none = BundleCredentials()
}

