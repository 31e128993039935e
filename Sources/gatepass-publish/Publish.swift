import ArgumentParser
import BundleFormat
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `gatepass publish BUNDLE REGISTRY/REPOSITORY:TAG` (this program, `gatepass-publish`, which
/// `gatepass publish` runs): pushes a bundle to an OCI registry as an artifact
/// (`OCIArtifact`: the bundle as the one layer, an empty config, the revision as an
/// annotation) through the distribution API, for `gatepassd --bundle-oci`.
///
/// The HTTP client is Foundation's URLSession, which ships with the Swift toolchain and
/// links libcurl. It is a program of its own so that the policy CLI neither builds SwiftNIO
/// nor needs libcurl at run time.
@main
struct Publish: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatepass publish",
        abstract: "Push a compiled bundle to an OCI registry, for gatepassd --bundle-oci.",
        discussion: """
        The bundle is checked first (digest, format, and the signature when --trusted-key is given). \
        Registries on loopback (localhost, 127.x.x.x, [::1]) are spoken to over plain HTTP, all others over \
        https. Prints the pushed reference with its manifest digest (pin it with REPOSITORY@sha256:…). \
        Media types: manifest \(OCIArtifact.manifestMediaType), artifactType and layer \(OCIArtifact.layerMediaType), \
        config \(OCIArtifact.emptyConfigMediaType). Exits 0 when pushed, 2 otherwise. \
        `gatepass-publish fetch URL` fetches one key set instead (see `gatepass-publish fetch --help`).
        """
    )

    /// Exit status 2, with one line on standard error, for every failure. `fetch` as the
    /// first argument runs `Fetch` instead (for `gatepass compile --fetch-jwks`).
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "fetch" { Fetch.main(arguments: Array(arguments.dropFirst())) }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("gatepass: error: \(error.description)\n".utf8))
            Foundation.exit(2)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }

    @Argument(help: "The compiled bundle.")
    var bundle: String

    @Argument(help: "REGISTRY/REPOSITORY:TAG, e.g. ghcr.io/acme/policies:prod.")
    var reference: String

    @Option(name: .customLong("trusted-key"), help: "A trusted Ed25519 public key (PEM), repeatable: refuse to publish a bundle not signed by one.")
    var trustedKeys: [String] = []

    @Option(name: .customLong("token-file"), help: "A file holding a bearer token for the registry.")
    var tokenFile: String?

    @Option(name: .customLong("credentials-file"), help: "A file holding `user:password` for the registry (basic auth or its token service).")
    var credentialsFile: String?

    func run() throws {
        let target: OCIReference
        do {
            target = try OCIReference(parsing: reference)
        } catch {
            throw CLIError("\(reference): \(error.description)")
        }
        if target.isDigest { throw CLIError("\(reference): publish to a tag (REPOSITORY:TAG); the digest is printed after the push") }
        guard let data = FileManager.default.contents(atPath: bundle) else { throw CLIError("cannot read `\(bundle)`") }
        let bytes = [UInt8](data)
        var keys: [BundleTrustedKey] = []
        for path in trustedKeys {
            guard let pem = FileManager.default.contents(atPath: path) else { throw CLIError("--trusted-key: cannot read `\(path)`") }
            do { keys.append(try BundleTrustedKey(pem: [UInt8](pem))) } catch { throw CLIError("\(path): \(error)") }
        }
        let program: DecisionProgram
        do {
            program = try BundleReader(trustedKeys: keys).read(bytes)
        } catch {
            throw CLIError("\(bundle): \(error)")
        }
        var client = RegistryClient(reference: target)
        if let tokenFile { client.bearer = try Self.secret(tokenFile, flag: "--token-file") }
        if let credentialsFile {
            let text = try Self.secret(credentialsFile, flag: "--credentials-file")
            guard text.contains(":") else { throw CLIError("--credentials-file: `\(credentialsFile)` must hold user:password") }
            client.basic = Data(text.utf8).base64EncodedString()
        }
        let manifest = OCIArtifact.manifest(bundle: bytes, revision: program.manifest.revision)
        try client.pushBlob(OCIArtifact.emptyConfig)
        try client.pushBlob(bytes)
        let digest = try client.pushManifest(manifest)
        print("published \(target.registry)/\(target.repository):\(target.reference) \(digest) revision \(program.manifest.revision)")
    }

    static func secret(_ path: String, flag: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
            throw CLIError("\(flag): cannot read `\(path)`")
        }
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        guard !text.isEmpty else { throw CLIError("\(flag): `\(path)` is empty") }
        return text
    }
}

/// The few distribution-API calls a push needs, synchronously, with the registry's
/// bearer-token challenge answered once per scope.
struct RegistryClient {
    let reference: OCIReference
    var bearer: String?
    var basic: String?

    init(reference: OCIReference) {
        self.reference = reference
    }

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: Data
    }

    /// Uploads a blob unless the registry has it (a monolithic upload: POST, then PUT with the digest).
    mutating func pushBlob(_ bytes: [UInt8]) throws {
        let digest = OCIArtifact.digest(bytes)
        if try send("HEAD", reference.url("blobs/\(digest)")).status == 200 { return }
        let started = try send("POST", reference.url("blobs/uploads/"))
        guard started.status == 202, let location = started.headers["location"] else {
            throw CLIError("\(reference): the registry refused the upload (\(started.status))\(Self.detail(started))")
        }
        var upload = location.hasPrefix("/") ? "\(reference.scheme)://\(reference.registry)\(location)" : location
        upload += (upload.contains("?") ? "&" : "?") + "digest=" + digest.replacingOccurrences(of: ":", with: "%3A")
        let finished = try send("PUT", upload, body: Data(bytes), contentType: "application/octet-stream")
        guard finished.status == 201 else {
            throw CLIError("\(reference): the registry refused the blob \(digest) (\(finished.status))\(Self.detail(finished))")
        }
    }

    /// Puts the manifest under the tag; returns its digest, checked against the registry's.
    mutating func pushManifest(_ manifest: [UInt8]) throws -> String {
        let digest = OCIArtifact.digest(manifest)
        let reply = try send("PUT", reference.url("manifests/\(reference.reference)"), body: Data(manifest),
                             contentType: OCIArtifact.manifestMediaType)
        guard reply.status == 201 else {
            throw CLIError("\(reference): the registry refused the manifest (\(reply.status))\(Self.detail(reply))")
        }
        if let announced = reply.headers["docker-content-digest"], announced != digest {
            throw CLIError("\(reference): the registry stored the manifest as \(announced), not \(digest)")
        }
        return digest
    }

    static func detail(_ reply: Reply) -> String {
        let text = String(decoding: reply.body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "" : ": \(text)"
    }

    /// One request; a 401 with a Bearer challenge is answered with a token and retried once.
    mutating func send(_ method: String, _ url: String, body: Data? = nil, contentType: String? = nil) throws -> Reply {
        let first = try Self.perform(method, url, body: body, contentType: contentType, authorization: authorization)
        guard first.status == 401, let challenge = first.headers["www-authenticate"], challenge.lowercased().hasPrefix("bearer ") else {
            return first
        }
        bearer = try token(for: challenge)
        return try Self.perform(method, url, body: body, contentType: contentType, authorization: authorization)
    }

    var authorization: String? {
        if let bearer { return "Bearer \(bearer)" }
        if let basic { return "Basic \(basic)" }
        return nil
    }

    /// A token from the challenge's realm for its service and scope (push and pull).
    func token(for challenge: String) throws -> String {
        var parameters: [String: String] = [:]
        let pattern = try NSRegularExpression(pattern: #"(\w+)="([^"]*)""#)
        let text = String(challenge.dropFirst(7))
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            if let key = Range(match.range(at: 1), in: text), let value = Range(match.range(at: 2), in: text) {
                parameters[text[key].lowercased()] = String(text[value])
            }
        }
        guard let realm = parameters["realm"], var components = URLComponents(string: realm),
              components.scheme == "https" || ["localhost", "127.0.0.1", "::1"].contains(components.host ?? "") else {
            throw CLIError("\(reference): the registry's token realm is missing or not https")
        }
        var items = components.queryItems ?? []
        if let service = parameters["service"] { items.append(URLQueryItem(name: "service", value: service)) }
        items.append(URLQueryItem(name: "scope", value: parameters["scope"] ?? "repository:\(reference.repository):pull,push"))
        components.queryItems = items
        guard let url = components.url?.absoluteString else { throw CLIError("\(reference): bad token realm") }
        let reply = try Self.perform("GET", url, body: nil, contentType: nil, authorization: basic.map { "Basic \($0)" })
        guard reply.status == 200, let json = try? JSONSerialization.jsonObject(with: reply.body) as? [String: Any],
              let token = (json["token"] ?? json["access_token"]) as? String, !token.isEmpty else {
            throw CLIError("\(reference): the registry's token service answered \(reply.status) without a token")
        }
        return token
    }

    static func perform(_ method: String, _ url: String, body: Data?, contentType: String?, authorization: String?) throws -> Reply {
        guard let target = URL(string: url) else { throw CLIError("bad registry URL `\(url)`") }
        var request = URLRequest(url: target, timeoutInterval: 60)
        request.httpMethod = method
        if let body { request.httpBody = body }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let box = ReplyBox()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.set(data: data, response: response as? HTTPURLResponse, error: error)
            done.signal()
        }.resume()
        done.wait()
        return try box.reply(url: url)
    }
}

/// Carries one URLSession answer from its callback to the waiting caller.
final class ReplyBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    private var response: HTTPURLResponse?
    private var error: (any Error)?

    func set(data: Data?, response: HTTPURLResponse?, error: (any Error)?) {
        lock.lock()
        defer { lock.unlock() }
        self.data = data
        self.response = response
        self.error = error
    }

    func reply(url: String) throws -> RegistryClient.Reply {
        lock.lock()
        defer { lock.unlock() }
        if let error { throw CLIError("cannot reach the registry: \(error.localizedDescription)") }
        guard let response else { throw CLIError("no answer from the registry for \(url)") }
        var headers: [String: String] = [:]
        for (key, value) in response.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
        }
        return RegistryClient.Reply(status: response.statusCode, headers: headers, body: data ?? Data())
    }
}

/// A failure: `gatepass: error: …` and exit status 2.
struct CLIError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
