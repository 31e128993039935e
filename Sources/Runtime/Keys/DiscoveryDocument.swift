import BundleFormat
import JOSE

/// An OpenID Provider configuration (OpenID Connect Discovery 1.0 §4) as the refresher
/// reads it: its `issuer` must equal the entry's byte for byte (§4.3; anything else may be
/// another provider's keys), and its `jwks_uri` must pass the rule every key URL passes:
/// `https`, or `http` to a loopback address when the entry allows it.
public enum DiscoveryDocument {
    public static func jwksURI(_ body: [UInt8], source: RemoteKeySource) -> Result<String, KeySetRejection> {
        func refuse(_ text: String) -> Result<String, KeySetRejection> { .failure(KeySetRejection(description: text)) }
        let root: JSONValue
        do {
            root = try StrictJSON.parse(body, limits: JSONLimits(maxDepth: 16, maxBytes: 1 << 20))
        } catch {
            return refuse("the discovery document is not valid JSON: \(error.message)")
        }
        guard root.members != nil else { return refuse("the discovery document is not a JSON object") }
        guard let issuer = root[member: "issuer"]?.stringValue else { return refuse("the discovery document has no `issuer` string") }
        guard Array(issuer.utf8) == Array(source.issuer.utf8) else {
            return refuse("the discovery document is for another issuer than the entry's `\(source.issuer)`")
        }
        guard let uri = root[member: "jwks_uri"]?.stringValue else { return refuse("the discovery document has no `jwks_uri` string") }
        if let problem = KeySetURL.problem(uri, allowInsecure: source.allowInsecure) {
            return refuse("the discovery document's `jwks_uri` \(problem)")
        }
        return .success(uri)
    }
}

/// The rule for every URL keys are fetched from, after the compiler's own checks.
public enum KeySetURL {
    /// The scheme and host (lowercased; IPv6 in brackets) of an `http(s)://` URL without
    /// user information; nil for anything else.
    public static func schemeAndHost(_ url: String) -> (scheme: String, host: String, port: Int?)? {
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else { return nil }
        let scheme = url[..<colon].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let authority = url[url.index(colon, offsetBy: 3)...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var host = String(authority)
        var port: Int?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            if rest.hasPrefix(":") { port = Int(rest.dropFirst()) ?? -1 } else if !rest.isEmpty { return nil }
            host = String(host[...close])
        } else if let colon = host.lastIndex(of: ":") {
            port = Int(host[host.index(after: colon)...]) ?? -1
            host = String(host[..<colon])
        }
        if port == -1 { return nil }
        return (scheme, host.lowercased(), port)
    }

    /// Why `url` may not be fetched, nil when it may.
    public static func problem(_ url: String, allowInsecure: Bool) -> String? {
        guard let (scheme, host, _) = schemeAndHost(url) else { return "is not an http(s) URL with a host" }
        if scheme == "https" { return nil }
        guard isLoopbackHost(host) else {
            return "uses plain http to a host that is not a loopback address"
        }
        return allowInsecure ? nil : "uses plain http without `allowInsecureJwksUri: true`"
    }

    /// A redirect from `from` to `to` may be followed: `https`, same host and port.
    public static func mayRedirect(from: String, to: String) -> Bool {
        guard let origin = schemeAndHost(from), let target = schemeAndHost(to), target.scheme == "https" else { return false }
        func port(_ parts: (scheme: String, host: String, port: Int?)) -> Int { parts.port ?? (parts.scheme == "https" ? 443 : 80) }
        return origin.host == target.host && port(origin) == port(target)
    }
}
