import ArgumentParser
import BundleFormat
import Diagnostics
import Foundation
import JOSE
import Runtime

/// `gatepass eval`: decide requests with a compiled bundle and print decisions as JSON.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decide requests with a bundle and print each decision as JSON.",
        discussion: """
        One request: --request FILE (JSON), or --host/--path/--method/--header. Many: --requests FILE \
        (JSON Lines, `-` for standard input), one decision per line in the same order. Exits 0 when every \
        request was decided (denials included), 2 on a usage or bundle error.
        """
    )

    @Option(help: "The compiled bundle.")
    var bundle: String

    @Option(help: "A request as a JSON file.")
    var request: String?

    @Option(help: "Requests as JSON Lines (one per line; `-` reads standard input).")
    var requests: String?

    @Option(help: "The request's host (quick use without a file).")
    var host: String?

    @Option(help: "The request-target: path and query.")
    var path: String?

    @Option(help: "The request method.")
    var method: String = "GET"

    @Option(name: .customLong("header"), help: "A header as `Name: value` (repeatable).")
    var headers: [String] = []

    @Option(help: "The time of the decision, in seconds since the epoch (default: now).")
    var now: Double?

    @Flag(help: "Add the explanation of each decision.")
    var explain = false

    @Option(help: "A trusted Ed25519 public key (PEM): the bundle must be signed by one of them.")
    var trustedKey: [String] = []

    func validate() throws {
        let sources = [request != nil, requests != nil, path != nil].filter { $0 }.count
        if sources != 1 { throw ValidationError("give exactly one of --request, --requests or --path") }
        if path == nil && (host != nil || !headers.isEmpty) { throw ValidationError("--host and --header go with --path") }
    }

    func run() throws {
        let policy: LoadedPolicy
        do {
            policy = try PolicyLoader(trustedKeys: BundleFile.trustedKeys(trustedKey)).load(bytes: BundleFile.read(bundle))
        } catch let error as PolicyLoadError {
            throw CLIError("\(bundle): \(error.description)")
        }
        let time = now ?? Date().timeIntervalSince1970
        if let requests {
            try JSONLines.forEachLine(of: requests) { line in
                let decision: JSONOutput
                switch RequestJSON.parse(line) {
                case .success(let request): decision = DecisionJSON.render(policy.decide(request, now: time, explain: explain))
                case .failure(let problem): decision = DecisionJSON.badInput(problem.message)
                }
                print(decision.text)
            }
            return
        }
        let input: HTTPRequest
        if let request {
            let bytes = try BundleFile.read(request)
            switch RequestJSON.parse(bytes) {
            case .success(let value): input = value
            case .failure(let problem):
                print(DecisionJSON.badInput(problem.message).text)
                return
            }
        } else {
            var parsedHeaders: [HTTPHeader] = []
            for header in headers {
                guard let colon = header.firstIndex(of: ":") else { throw ValidationError("--header needs `Name: value`, not `\(header)`") }
                let value = header[header.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
                parsedHeaders.append(HTTPHeader(name: String(header[..<colon]), value: String(value)))
            }
            input = HTTPRequest(method: method, host: host, target: path ?? "/", headers: parsedHeaders)
        }
        print(DecisionJSON.render(policy.decide(input, now: time, explain: explain)).text)
    }
}

/// Reads a file (or standard input) line by line in constant memory.
enum JSONLines {
    static func forEachLine(of path: String, _ body: ([UInt8]) throws -> Void) throws {
        let handle: FileHandle
        if path == "-" {
            handle = FileHandle.standardInput
        } else {
            guard let file = FileHandle(forReadingAtPath: path) else { throw CLIError("cannot read `\(path)`") }
            handle = file
        }
        var pending: [UInt8] = []
        while true {
            let chunk = handle.readData(ofLength: 1 << 16)
            if chunk.isEmpty { break }
            pending.append(contentsOf: chunk)
            var start = 0
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                try emit(Array(pending[start..<newline]), body)
                start = newline + 1
            }
            pending.removeFirst(start)
        }
        try emit(pending, body)
    }

    private static func emit(_ line: [UInt8], _ body: ([UInt8]) throws -> Void) throws {
        var trimmed = line[...]
        while let last = trimmed.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { trimmed = trimmed.dropLast() }
        while let first = trimmed.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { trimmed = trimmed.dropFirst() }
        if trimmed.isEmpty { return }
        try body(Array(trimmed))
    }
}

/// The request JSON of the CLI contract:
/// `{"method":"GET","host":"api.example.com:443","path":"/users/list?x=1","headers":{"authorization":"Bearer …"}}`.
enum RequestJSON {
    static func parse(_ bytes: [UInt8]) -> Result<HTTPRequest, RequestInputError> {
        let root: JSONValue
        do {
            root = try StrictJSON.parse(bytes, limits: JSONLimits(maxDepth: 8, maxBytes: 1 << 20))
        } catch {
            return .failure(RequestInputError("the request is not valid JSON: \(error.message)"))
        }
        guard root.members != nil else { return .failure(RequestInputError("the request must be a JSON object")) }
        var method = "GET"
        if let value = root[member: "method"] {
            guard let text = value.stringValue, !text.isEmpty else { return .failure(RequestInputError("`method` must be a non-empty string")) }
            method = text
        }
        var host: String?
        if let value = root[member: "host"] {
            if case .null = value {} else {
                guard let text = value.stringValue else { return .failure(RequestInputError("`host` must be a string")) }
                host = text
            }
        }
        guard let target = root[member: "path"]?.stringValue else { return .failure(RequestInputError("the request has no `path` string")) }
        var headers: [HTTPHeader] = []
        if let value = root[member: "headers"] {
            guard let members = value.members else { return .failure(RequestInputError("`headers` must be an object")) }
            for member in members {
                if let text = member.value.stringValue {
                    headers.append(HTTPHeader(name: member.name, value: text))
                } else if let items = member.value.elements {
                    for item in items {
                        guard let text = item.stringValue else { return .failure(RequestInputError("header `\(member.name)` values must be strings")) }
                        headers.append(HTTPHeader(name: member.name, value: text))
                    }
                } else {
                    return .failure(RequestInputError("header `\(member.name)` must be a string or an array of strings"))
                }
            }
        }
        return .success(HTTPRequest(method: method, host: host, target: target, headers: headers))
    }
}

/// Why a request line or file is not a request.
struct RequestInputError: Error {
    var message: String

    init(_ message: String) {
        self.message = message
    }
}

/// Decisions as JSON, keys in a fixed order.
enum DecisionJSON {
    static func render(_ decision: Decision) -> JSONOutput {
        var members: [(String, JSONOutput)] = [
            ("decision", .string(decision.verdict.rawValue)),
            ("status", .int(decision.status)),
            ("reason", .string(decision.reason.rawValue)),
            ("authentication", decision.authentication.map { .string($0) } ?? .null),
            ("message", .string(decision.message)),
            ("headers", .object([
                ("set", .object(decision.mutations.set.map { ($0.name, .string($0.value)) })),
                ("remove", .array(decision.mutations.remove.map { .string($0) })),
            ])),
            ("query", .object([("remove", .array(decision.mutations.removeQuery.map { .string($0) }))])),
            ("cookies", .object([("remove", .array(decision.mutations.removeCookies.map { .string($0) }))])),
        ]
        if let challenge = decision.wwwAuthenticate { members.append(("wwwAuthenticate", .string(challenge))) }
        if let explanation = decision.explanation { members.append(("explanation", render(explanation))) }
        return .object(members)
    }

    static func render(_ explanation: Explanation) -> JSONOutput {
        var members: [(String, JSONOutput)] = [
            ("host", explanation.host.map { .string($0) } ?? .null),
            ("path", .string(explanation.path)),
            ("domainClass", .string(explanation.domainClass)),
            ("pathNode", .int(explanation.pathNode)),
            ("protecting", .array(explanation.protecting.map { entry in
                .object([("entry", .string(entry.name)), ("mode", .string(entry.mode)), ("because", .array(entry.because.map { .string($0) }))])
            })),
        ]
        if let token = explanation.token {
            members.append(("token", .object([
                ("foundAt", .array(token.foundAt.map { .string($0) })),
                ("issuer", token.issuer.map { .string($0) } ?? .null),
                ("alg", token.algorithm.map { .string($0) } ?? .null),
                ("kid", token.kid.map { .string($0) } ?? .null),
            ])))
        }
        members.append(("checks", .array(explanation.checks.map { check in
            .object([("entry", check.entry.map { .string($0) } ?? .null), ("check", .string(check.name)),
                     ("passed", .bool(check.passed)), ("detail", .string(check.detail))])
        })))
        return .object(members)
    }

    /// A line that is not a request: decided as `bad_request`, and the run goes on.
    static func badInput(_ problem: String) -> JSONOutput {
        .object([
            ("decision", .string("deny")), ("status", .int(400)), ("reason", .string("bad_request")),
            ("authentication", .null), ("message", .string(problem)),
            ("headers", .object([("set", .object([])), ("remove", .array([]))])),
            ("query", .object([("remove", .array([]))])), ("cookies", .object([("remove", .array([]))])),
        ])
    }
}
