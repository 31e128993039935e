public import BundleFormat
import JOSE
import NIOHTTP1

/// `--bundle-oci REGISTRY/REPOSITORY:TAG` (polled) or `@sha256:…` (pinned): the bundle
/// stored as an OCI artifact (`OCIArtifact`), pulled through the distribution API: the
/// manifest, then its one bundle layer by digest. Both digests are verified; a registry's
/// bearer-token challenge is answered (anonymously, or with the given basic credentials).
public struct OCIBundleSource: BundleSource {
    public let kind = "oci"
    let reference: OCIReference
    let fetcher: RemoteFetcher
    let credentials: BundleCredentials
    /// `user:password` for the registry's token service, if any.
    let basicCredentials: String?

    public init(reference: OCIReference, fetcher: RemoteFetcher, credentials: BundleCredentials = .none, basicCredentials: String? = nil) {
        self.reference = reference
        self.fetcher = fetcher
        self.credentials = credentials
        self.basicCredentials = basicCredentials
    }

    public var location: String { reference.description }

    public func fetch(ifChangedFrom tag: String?, force: Bool) async throws(BundleSourceError) -> BundleFetch {
        var headers = credentials.headers
        headers.append(("Accept", OCIArtifact.manifestMediaType))
        if !force, let tag, tag.hasPrefix("oci:") { headers.append(("If-None-Match", "\"\(tag.dropFirst(4))\"")) }
        let manifestURL = reference.url("manifests/\(reference.reference)")
        let response = try await authorizedGet(manifestURL, headers: headers, maxBytes: OCIArtifact.maxManifestBytes)
        if response.status == 304 {
            guard tag != nil else { throw BundleSourceError("\(location): 304 Not Modified to a request without If-None-Match") }
            return .unchanged
        }
        guard response.status == 200 else { throw BundleSourceError("\(location): the registry answered \(response.status) for the manifest") }
        let manifestDigest = OCIArtifact.digest(response.body)
        if reference.isDigest, manifestDigest != reference.reference {
            throw BundleSourceError("\(location): the manifest's digest is \(manifestDigest), not the pinned one")
        }
        if let announced = response.headers.first(name: "docker-content-digest"), announced.hasPrefix("sha256:"), announced != manifestDigest {
            throw BundleSourceError("\(location): the manifest does not match the registry's Docker-Content-Digest")
        }
        let newTag = "oci:" + manifestDigest
        if !force, tag == newTag { return .unchanged }
        let layer = try Self.bundleLayer(response.body, location: location, maxBytes: fetcher.limits.maxBytes)
        let blob = try await blobBytes(digest: layer.digest, maxBytes: layer.size)
        guard blob.count == layer.size else {
            throw BundleSourceError("\(location): the bundle blob is \(blob.count) bytes, the manifest says \(layer.size)")
        }
        guard OCIArtifact.digest(blob) == layer.digest else {
            throw BundleSourceError("\(location): the bundle blob does not match its digest \(layer.digest)")
        }
        return .bundle(blob, tag: newTag)
    }

    /// The one layer of the bundle's media type: its digest and size.
    static func bundleLayer(_ manifest: [UInt8], location: String, maxBytes: Int) throws(BundleSourceError) -> (digest: String, size: Int) {
        let json: JSONValue
        do {
            json = try StrictJSON.parse(manifest)
        } catch {
            throw BundleSourceError("\(location): the manifest is not valid JSON (\(error))")
        }
        guard json[member: "mediaType"]?.stringValue == OCIArtifact.manifestMediaType else {
            throw BundleSourceError("\(location): not an OCI image manifest (mediaType \(OCIArtifact.manifestMediaType))")
        }
        let layers = (json[member: "layers"]?.elements ?? []).filter { $0[member: "mediaType"]?.stringValue == OCIArtifact.layerMediaType }
        guard layers.count == 1, let layer = layers.first else {
            throw BundleSourceError("\(location): the manifest must have exactly one layer of type \(OCIArtifact.layerMediaType); it has \(layers.count)")
        }
        guard let digest = layer[member: "digest"]?.stringValue, digest.hasPrefix("sha256:"), digest.utf8.count == 71 else {
            throw BundleSourceError("\(location): the bundle layer has no sha256 digest")
        }
        guard let text = layer[member: "size"]?.numberValue?.text, let size = Int(text), size > 0 else {
            throw BundleSourceError("\(location): the bundle layer has no valid size")
        }
        guard size <= maxBytes else { throw BundleSourceError("\(location): the bundle is \(size) bytes, over the limit of \(maxBytes)") }
        return (digest, size)
    }

    /// The blob, following at most three redirects (registries hand blobs to storage); the
    /// credentials go only to the registry's own host, and a redirect never drops to http
    /// except between loopback addresses.
    func blobBytes(digest: String, maxBytes: Int) async throws(BundleSourceError) -> [UInt8] {
        var url = reference.url("blobs/\(digest)")
        var headers = credentials.headers
        guard let registryHost = RemoteFetcher.schemeAndHost(url)?.host else { throw BundleSourceError("\(location): bad registry URL") }
        for _ in 0...3 {
            let response = try await authorizedGet(url, headers: headers, maxBytes: maxBytes,
                                                   useToken: RemoteFetcher.schemeAndHost(url)?.host == registryHost)
            switch response.status {
            case 200:
                return response.body
            case 301, 302, 303, 307, 308:
                guard let next = response.headers.first(name: "location"), let target = Self.resolve(next, against: url),
                      let (scheme, host) = RemoteFetcher.schemeAndHost(target) else {
                    throw BundleSourceError("\(location): a blob redirect without a usable Location")
                }
                if scheme == "http" && !isLoopbackHost(host) { throw BundleSourceError("\(location): a blob redirect to plain http") }
                if host != registryHost { headers = [] }
                url = target
            default:
                throw BundleSourceError("\(location): the registry answered \(response.status) for the bundle blob")
            }
        }
        throw BundleSourceError("\(location): too many redirects for the bundle blob")
    }

    /// A Location value as an absolute URL.
    static func resolve(_ location: String, against base: String) -> String? {
        if RemoteFetcher.schemeAndHost(location) != nil { return location }
        guard location.hasPrefix("/"), let range = base.range(of: "://") else { return nil }
        let afterScheme = base[range.upperBound...]
        let authority = afterScheme.prefix { $0 != "/" }
        return base[..<range.upperBound] + authority + location
    }

    /// GET, answering a `401` bearer challenge (RFC 6750 / the distribution token flow) once.
    func authorizedGet(_ url: String, headers: [(name: String, value: String)], maxBytes: Int,
                       useToken: Bool = true) async throws(BundleSourceError) -> RemoteFetcher.Response {
        let first = try await fetcher.get(url, headers: headers, maxBytes: maxBytes)
        guard first.status == 401, useToken, let challenge = first.headers.first(name: "www-authenticate"),
              let token = try await registryToken(challenge) else { return first }
        let authorized = headers.filter { $0.name.lowercased() != "authorization" } + [("Authorization", "Bearer \(token)")]
        return try await fetcher.get(url, headers: authorized, maxBytes: maxBytes)
    }

    /// A token from the challenge's `realm` for `service` and `scope`, or nil for a
    /// challenge that is not `Bearer`.
    func registryToken(_ challenge: String) async throws(BundleSourceError) -> String? {
        guard challenge.lowercased().hasPrefix("bearer ") else { return nil }
        var parameters: [String: String] = [:]
        for part in Self.challengeParameters(String(challenge.dropFirst(7))) { parameters[part.0.lowercased()] = part.1 }
        guard let realm = parameters["realm"], let (scheme, host) = RemoteFetcher.schemeAndHost(realm),
              scheme == "https" || isLoopbackHost(host) else {
            throw BundleSourceError("\(location): the registry's token realm is missing or not https")
        }
        var query: [String] = []
        if let service = parameters["service"] { query.append("service=" + Self.percentEncoded(service)) }
        query.append("scope=" + Self.percentEncoded(parameters["scope"] ?? "repository:\(reference.repository):pull"))
        var headers: [(name: String, value: String)] = []
        if let basicCredentials { headers.append(("Authorization", "Basic " + Self.base64(Array(basicCredentials.utf8)))) }
        let separator = realm.contains("?") ? "&" : "?"
        let response = try await fetcher.get(realm + separator + query.joined(separator: "&"), headers: headers, maxBytes: 64 * 1024)
        guard response.status == 200, let json = try? StrictJSON.parse(response.body),
              let token = json[member: "token"]?.stringValue ?? json[member: "access_token"]?.stringValue, !token.isEmpty else {
            throw BundleSourceError("\(location): the registry's token service answered \(response.status) without a token")
        }
        return token
    }

    /// `key="value", key=value` pairs of an auth challenge.
    static func challengeParameters(_ text: String) -> [(String, String)] {
        var result: [(String, String)] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].trimmingSpaces
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let character = rest.first, character != "\"" {
                    if character == "\\", rest.count > 1 { rest = rest.dropFirst() }
                    value.append(rest.first!)
                    rest = rest.dropFirst()
                }
                rest = rest.dropFirst()
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = String(rest[..<end]).trimmingSpaces
                rest = rest[end...]
            }
            result.append((key, value))
        }
        return result
    }

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~".contains(c)) {
                out.append(c)
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var value = 0
            for (offset, byte) in chunk.enumerated() { value |= Int(byte) << (16 - 8 * offset) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 0x3F] : "=")
            }
            index += 3
        }
        return out
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
