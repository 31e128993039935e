import Diagnostics
import FrontEnd
import JOSE

/// The outside world `compile --fetch-jwks` needs: one HTTP GET of a URL that already
/// passed the https/loopback rule, and the time. The CLI supplies it (through the
/// `gatepass-publish fetch` helper); tests supply a fake, so this stage touches no network.
public protocol RemoteKeyFetching: Sendable {
    /// The body of a `200` answer, or why there is none.
    func fetch(_ url: String) -> Result<[UInt8], RemoteFetchFailure>
    /// Seconds since the epoch, read once per compilation.
    func now() -> UInt64
}

/// Why a fetch failed, in words for a diagnostic (`HTTP status 404`, `timed out after 5s`).
public struct RemoteFetchFailure: Error, Sendable, Hashable {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }
}

/// Fetches the bootstrap key set of every enabled entry with `jwksUri` or `discovery`,
/// once per URL, and puts it where an inline JWKS would be (`JWKSSource.fetched`), so the
/// checker validates it exactly as an inline set; problems are located at the entry's
/// `jwksUri` or `discovery` value. With discovery, the document's `issuer` must equal the
/// entry's byte for byte and its `jwks_uri` must pass the https/loopback rule.
enum RemoteKeyFetch {
    static func fetch(_ policySet: inout PolicySet, with fetcher: any RemoteKeyFetching, into diagnostics: inout DiagnosticBag) {
        let fetchedAt = fetcher.now()
        var cache: [String: Result<[UInt8], RemoteFetchFailure>] = [:]
        func get(_ url: String) -> Result<[UInt8], RemoteFetchFailure> {
            if let known = cache[url] { return known }
            let result = fetcher.fetch(url)
            cache[url] = result
            return result
        }
        for index in policySet.entries.indices where policySet.entries[index].enabled.value {
            let entry = policySet.entries[index]
            guard let remote = entry.remoteKeys else { continue }
            var jwksURL = remote.url.text
            func unavailable(_ message: String) {
                diagnostics.error(.remoteKeysUnavailable, message, at: remote.span,
                                  hint: "check the URL and that this machine can reach it; without `--fetch-jwks` the bundle records only the URL and the runtime fetches the keys")
            }
            if remote.kind == .discovery {
                let document: [UInt8]
                switch get(remote.url.text) {
                case .failure(let failure):
                    unavailable("cannot fetch the discovery document `\(remote.url.text)`: \(failure.reason)")
                    continue
                case .success(let body): document = body
                }
                switch jwksURI(document: document, remote: remote, issuer: entry.issuer) {
                case .failure(let diagnostic):
                    diagnostics.append(diagnostic)
                    continue
                case .success(let url): jwksURL = url
                }
            }
            switch get(jwksURL) {
            case .failure(let failure):
                unavailable("cannot fetch the JWKS `\(jwksURL)`: \(failure.reason)")
            case .success(let body):
                policySet.entries[index].jwks = .fetched(url: jwksURL, body: body, span: remote.span)
                policySet.entries[index].remoteKeys?.fetchedAt = fetchedAt
            }
        }
    }

    /// The `jwks_uri` of a discovery document, after checking its `issuer`.
    static func jwksURI(document: [UInt8], remote: RemoteKeySource, issuer: Located<String>) -> Result<String, Diagnostic> {
        let url = remote.url.text
        func refuse(_ message: String, code: DiagnosticCode = .remoteKeysUnavailable, notes: [DiagnosticNote] = [], hint: String) -> Result<String, Diagnostic> {
            .failure(Diagnostic(.error, code, message, at: remote.span, notes: notes, hint: hint))
        }
        let root: JSONValue
        do {
            root = try StrictJSON.parse(document)
        } catch {
            return refuse("the discovery document `\(url)` is not valid JSON: \(error.message)",
                          hint: "the URL must serve the OpenID Provider configuration (OpenID Connect Discovery 1.0 §4)")
        }
        guard root.members != nil else {
            return refuse("the discovery document `\(url)` is not a JSON object", hint: "the URL must serve the OpenID Provider configuration")
        }
        guard let announced = root[member: "issuer"]?.stringValue else {
            return refuse("the discovery document `\(url)` has no `issuer` string", hint: "the URL must serve the OpenID Provider configuration")
        }
        guard Array(announced.utf8) == Array(issuer.value.utf8) else {
            return refuse("the discovery document `\(url)` is for the issuer `\(announced.displayEscaped)`, not this entry's `\(issuer.value.displayEscaped)`",
                          notes: issuer.span.map { [DiagnosticNote("the entry's issuer is given here", at: $0)] } ?? [],
                          hint: "the issuers must be equal byte for byte (OpenID Connect Discovery 1.0 §4.3); anything else may be another provider's keys")
        }
        guard let text = root[member: "jwks_uri"]?.stringValue else {
            return refuse("the discovery document `\(url)` has no `jwks_uri` string", hint: "give the JWKS URL with `jwksUri:` instead")
        }
        switch KeyURL.parse(text) {
        case .failure(let error):
            return refuse("the discovery document's `jwks_uri` `\(text.displayEscaped)` \(error.message)", code: .invalidKeyURL, hint: error.hint)
        case .success(let jwksURL):
            if let problem = KeyURLPolicy.problem(with: jwksURL, allowInsecure: remote.allowInsecure.value) {
                return refuse("the discovery document's `jwks_uri` \(problem.message)", code: .insecureKeyURL, hint: problem.hint)
            }
            return .success(text)
        }
    }
}
