/// A bundle stored as an OCI artifact (OCI image manifest 1.1, the distribution API):
/// one layer holding the bundle bytes, an empty config, and annotations naming the
/// revision. `gatepass publish` writes it and `gatepassd --bundle-oci` reads it.
public enum OCIArtifact {
    /// The manifest's `artifactType` and the bundle layer's `mediaType`.
    public static let artifactType = "application/vnd.gatepass.bundle.v1"
    public static let layerMediaType = "application/vnd.gatepass.bundle.v1"
    /// The OCI image manifest media type.
    public static let manifestMediaType = "application/vnd.oci.image.manifest.v1+json"
    /// The empty config (`{}`), as OCI 1.1 recommends for artifacts.
    public static let emptyConfigMediaType = "application/vnd.oci.empty.v1+json"
    public static let emptyConfig: [UInt8] = Array("{}".utf8)
    /// Manifest annotation naming the bundle revision.
    public static let revisionAnnotation = "dev.gatepass.bundle.revision"
    /// The largest manifest either side accepts.
    public static let maxManifestBytes = 64 * 1024

    /// `sha256:` and the hex digest of `bytes`.
    public static func digest(_ bytes: [UInt8]) -> String { "sha256:" + SHA256.hex(bytes) }

    /// The manifest for `bundle` with `revision`: deterministic bytes (fixed member order,
    /// no whitespace), so publishing the same bundle twice gives the same digest.
    public static func manifest(bundle: [UInt8], revision: String) -> [UInt8] {
        let config = "{\"mediaType\":\"\(emptyConfigMediaType)\",\"digest\":\"\(digest(emptyConfig))\",\"size\":\(emptyConfig.count)}"
        let layer = "{\"mediaType\":\"\(layerMediaType)\",\"digest\":\"\(digest(bundle))\",\"size\":\(bundle.count),"
            + "\"annotations\":{\"org.opencontainers.image.title\":\"bundle.gpb\"}}"
        let text = "{\"schemaVersion\":2,\"mediaType\":\"\(manifestMediaType)\",\"artifactType\":\"\(artifactType)\","
            + "\"config\":\(config),\"layers\":[\(layer)],"
            + "\"annotations\":{\"\(revisionAnnotation)\":\(JSONText.quoted(revision))}}"
        return Array(text.utf8)
    }
}

/// JSON string text (RFC 8259): `"`, `\\` and control characters escaped, and DEL, U+2028
/// and U+2029 too, so a line stays one line for any reader. Shared by the OCI manifest and
/// the decision service's log lines.
public enum JSONText {
    /// `text` as a quoted JSON string.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// `registry/repository:tag` or `registry/repository@sha256:…` (the registry named
/// explicitly: `host[:port]`; no default registry is guessed).
public struct OCIReference: Sendable, Equatable, CustomStringConvertible {
    public let registry: String
    public let repository: String
    /// A tag, or a `sha256:` digest.
    public let reference: String

    public var isDigest: Bool { reference.hasPrefix("sha256:") }

    /// `http` for loopback registries (`localhost`, `127.x.x.x`, `[::1]`), else `https`.
    public var scheme: String {
        var host = registry
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            host = String(host[...close])
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        let loopback = bare == "localhost" || bare == "::1"
            || (parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil })
        return loopback ? "http" : "https"
    }

    public var description: String { "\(registry)/\(repository)\(isDigest ? "@" : ":")\(reference)" }

    public func url(_ path: String) -> String { "\(scheme)://\(registry)/v2/\(repository)/\(path)" }

    /// Parses a reference; the error says what is wrong.
    public init(parsing text: String) throws(OCIReferenceError) {
        guard let slash = text.firstIndex(of: "/") else {
            throw OCIReferenceError("`\(text)` names no registry: write REGISTRY/REPOSITORY:TAG, e.g. ghcr.io/acme/policies:prod")
        }
        let registry = String(text[..<slash])
        var rest = String(text[text.index(after: slash)...])
        guard !registry.isEmpty, registry.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:[]".contains($0)) }) else {
            throw OCIReferenceError("`\(registry)` is not a registry host[:port]")
        }
        let reference: String
        if let at = rest.firstIndex(of: "@") {
            reference = String(rest[rest.index(after: at)...])
            rest = String(rest[..<at])
            let hex = reference.dropFirst("sha256:".count)
            guard reference.hasPrefix("sha256:"), hex.count == 64, hex.allSatisfy({ "0123456789abcdef".contains($0) }) else {
                throw OCIReferenceError("`\(reference)` is not a sha256 digest (sha256: and 64 lowercase hex digits)")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            reference = String(rest[rest.index(after: colon)...])
            rest = String(rest[..<colon])
            let tagCharacters = reference.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
            guard !reference.isEmpty, reference.count <= 128, tagCharacters, reference.first != "." && reference.first != "-" else {
                throw OCIReferenceError("`\(reference)` is not a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})")
            }
        } else {
            throw OCIReferenceError("`\(text)` has no tag or digest: add :TAG or @sha256:DIGEST (no default tag is assumed)")
        }
        let components = rest.split(separator: "/", omittingEmptySubsequences: false)
        let valid = !components.isEmpty && components.allSatisfy { component in
            guard let first = component.first, first.isLetter || first.isNumber else { return false }
            return component.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || "._-".contains($0)) }
        }
        guard valid else {
            throw OCIReferenceError("`\(rest)` is not a repository name (lowercase letters, digits, `.`, `_`, `-`, separated by `/`)")
        }
        self.registry = registry
        self.repository = rest
        self.reference = reference
    }
}

public struct OCIReferenceError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
