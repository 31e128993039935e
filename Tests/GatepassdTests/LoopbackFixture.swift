import BundleFormat
import Compiler
import Diagnostics
import Foundation
import TokenSigning
import XCTest

/// A bundle file compiled for the test with a generated ES256 key, tokens signed with it,
/// and a curl runner that keeps raw request-targets.
struct LoopbackFixture {
    static func policies(queryToken: Bool) -> String {
        """
        version: 1
        name: api
        issuer: https://issuer.example.com
        audiences: [api]
        jwks: { keys: [ { kty: oct, kid: placeholder, alg: HS256, kEnv: PLACEHOLDER } ] }
        token:
          - { from: header, name: Authorization }
        \(queryToken ? "  - { from: query, name: access_token }\n" : "")  - { from: cookie, name: session }
        claims:
          scope: { contains: api:write }
        forwardClaims:
          sub: x-subject
        authorization:
          mode: blacklist
          rules:
            - { domain: api.example.com, path: /v1/** }
        """
    }

    let directory: URL
    let bundle: String
    let signer = TestSigner(algorithm: .ES256, keyType: .ec(.p256), kid: "k1")

    init(queryToken: Bool = false) throws {
        let outcome = Pipeline().compile(files: [SourceFile(path: "loopback.yaml", text: Self.policies(queryToken: queryToken))])
        var program = try XCTUnwrap(outcome.program, TextRenderer().render(outcome.check.diagnostics.sorted))
        program.keys = [Key(kid: "k1", algorithm: "ES256", thumbprint: signer.jwk.thumbprint, material: .spki(signer.jwk.keyMaterial), source: 0)]
        program.entries[0].keyIndices = [0]
        program.entries[0].algorithms = ["ES256"]
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatepassd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        bundle = directory.appendingPathComponent("policy.gpb").path
        try Data(BundleWriter().write(program)).write(to: URL(fileURLWithPath: bundle))
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    func token(scope: String = "api:read api:write") -> String {
        let now = Int(Date().timeIntervalSince1970)
        return signer.sign(header: #"{"alg":"ES256","kid":"k1"}"#,
                           payload: #"{"aud":"api","exp":\#(now + 600),"iat":\#(now - 60),"iss":"https://issuer.example.com","scope":"\#(scope)","sub":"alice"}"#)
    }

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// One request with curl (`--path-as-is`, bounded by `--max-time`).
    static func curl(_ url: String, headers: [String] = [], extra: [String] = []) throws -> Reply {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-s", "-i", "--path-as-is", "--max-time", "10"] + headers.flatMap { ["-H", $0] } + extra + [url]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "curl \(url) failed")
        let text = String(decoding: data, as: UTF8.self)
        let sections = text.components(separatedBy: "\r\n\r\n")
        let lines = sections[0].components(separatedBy: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Reply(status: status, headers: fields, body: sections.dropFirst().joined(separator: "\r\n\r\n"))
    }
}
