import ArgumentParser
import BundleFormat
import Diagnostics
import Foundation
import JOSE
import Compiler
import FrontEnd
import PolicyTesting
import Runtime

/// `gatepass eval`: decide requests with a compiled bundle (or policies compiled in
/// memory) and print decisions as JSON.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decide requests with a bundle and print each decision as JSON.",
        discussion: """
        Policies: --bundle FILE, or --policies DIR (compiled in memory, as `test` does). One request: \
        --request FILE (JSON), or --host/--path/--method/--header. Many: --requests FILE (JSON Lines, `-` \
        for standard input), one decision per line in the same order; a request's `id` is echoed. Exits 0 \
        when every request was decided (denials and malformed requests included), 2 on a usage error or \
        when the policies cannot be loaded.
        """
    )

    @Option(help: "The compiled bundle.")
    var bundle: String?

    @Option(help: "A policy directory (or file), compiled in memory instead of a bundle.")
    var policies: String?

    @Flag(help: "Replace environment secrets (`kEnv`) that are not set with random ones, so the other entries can be decided.")
    var randomMissingSecrets = false

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
        if (bundle == nil) == (policies == nil) { throw ValidationError("give exactly one of --bundle or --policies") }
        if policies != nil && !trustedKey.isEmpty { throw ValidationError("--trusted-key checks a bundle's signature; it does not go with --policies") }
        let sources = [request != nil, requests != nil, path != nil].filter { $0 }.count
        if sources != 1 { throw ValidationError("give exactly one of --request, --requests or --path") }
        if path == nil && (host != nil || !headers.isEmpty) { throw ValidationError("--host and --header go with --path") }
    }

    func run() throws {
        let policy = try loadPolicy()
        let time = now ?? Date().timeIntervalSince1970
        if let requests {
            var lineNumber = 0
            try JSONLines.forEachLine(of: requests) { number, line in
                lineNumber = number
                print(decide(line, policy: policy, now: time, line: lineNumber).text)
            }
            return
        }
        let input: HTTPRequest
        if let request {
            print(decide(try BundleFile.read(request), policy: policy, now: time, line: nil).text)
            return
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

    /// One request document decided, or a `bad_request` decision that says what is wrong
    /// with it (and on which line of a JSON Lines input).
    func decide(_ bytes: [UInt8], policy: LoadedPolicy, now: Double, line: Int?) -> JSONOutput {
        switch RequestJSON.parse(bytes) {
        case .success(let parsed):
            return DecisionJSON.render(policy.decide(parsed.request, now: now, explain: explain), id: parsed.id)
        case .failure(let problem):
            let message = line.map { "line \($0): \(problem.message)" } ?? problem.message
            return DecisionJSON.badInput(message, id: problem.id)
        }
    }

    func loadPolicy() throws -> LoadedPolicy {
        let environment = randomMissingSecrets ? RandomSecrets.forMissing : PolicyLoader.processEnvironment
        if let policies {
            let outcome = Pipeline().compile(paths: [policies])
            guard let program = outcome.programForReports, !outcome.check.hadIOFailure else {
                let diagnostics = outcome.check.diagnostics
                FileHandle.standardError.write(Data((TextRenderer(colors: false).render(diagnostics.sorted)
                    + TextRenderer.summary(errors: diagnostics.errorCount, warnings: diagnostics.warningCount, files: outcome.check.fileCount) + "\n").utf8))
                throw CLIError("the policies under `\(policies)` do not compile")
            }
            do {
                return try PolicyLoader(environment: environment).load(program: program)
            } catch {
                throw CLIError("\(policies): \(error.description)\(Self.secretHint(error))")
            }
        }
        let bundle = bundle ?? ""
        do {
            return try PolicyLoader(trustedKeys: BundleFile.trustedKeys(trustedKey), environment: environment).load(bytes: BundleFile.read(bundle))
        } catch let error as PolicyLoadError {
            throw CLIError("\(bundle): \(error.description)\(Self.secretHint(error))")
        }
    }

    static func secretHint(_ error: PolicyLoadError) -> String {
        error.description.contains("environment") ? " (set the variable, or pass --random-missing-secrets to decide the other entries)" : ""
    }
}

/// Reads a file (or standard input) line by line in constant memory.
enum JSONLines {
    /// `body` gets the 1-based line number and the line; blank lines are skipped.
    static func forEachLine(of path: String, _ body: (Int, [UInt8]) throws -> Void) throws {
        let handle: FileHandle
        if path == "-" {
            handle = FileHandle.standardInput
        } else {
            guard let file = FileHandle(forReadingAtPath: path) else { throw CLIError("cannot read `\(path)`") }
            handle = file
        }
        var pending: [UInt8] = []
        var number = 0
        while true {
            let chunk = handle.readData(ofLength: 1 << 16)
            if chunk.isEmpty { break }
            pending.append(contentsOf: chunk)
            var start = 0
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                number += 1
                try emit(number, Array(pending[start..<newline]), body)
                start = newline + 1
            }
            pending.removeFirst(start)
        }
        try emit(number + 1, pending, body)
    }

    private static func emit(_ number: Int, _ line: [UInt8], _ body: (Int, [UInt8]) throws -> Void) throws {
        var trimmed = line[...]
        while let last = trimmed.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { trimmed = trimmed.dropLast() }
        while let first = trimmed.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { trimmed = trimmed.dropFirst() }
        if trimmed.isEmpty { return }
        try body(number, Array(trimmed))
    }
}

/// The request JSON of the CLI contract:
/// `{"method":"GET","host":"api.example.com:443","path":"/users/list?x=1","headers":{"authorization":"Bearer …"}}`.
enum RequestJSON {
    /// The members a request may have; any other is refused, never ignored (`"hots"`).
    static let fields = ["id", "method", "host", "path", "headers"]

    /// A request and the `id` it carries (a string or an integer, echoed in its decision).
    struct Parsed {
        var request: HTTPRequest
        var id: JSONOutput?
    }

    static func parse(_ bytes: [UInt8]) -> Result<Parsed, RequestInputError> {
        let root: JSONValue
        do {
            root = try StrictJSON.parse(bytes, limits: JSONLimits(maxDepth: 8, maxBytes: 1 << 20))
        } catch {
            return .failure(RequestInputError("the request is not valid JSON: \(error.message)"))
        }
        guard let rootMembers = root.members else { return .failure(RequestInputError("the request must be a JSON object")) }
        var id: JSONOutput?
        if let value = root[member: "id"] {
            if let text = value.stringValue {
                id = .string(text)
            } else if case .number(let number, _) = value, let integer = Int(number.text) {
                id = .int(integer)
            } else {
                return .failure(RequestInputError("`id` must be a string or an integer"))
            }
        }
        func fail(_ message: String) -> Result<Parsed, RequestInputError> {
            .failure(RequestInputError(message, id: id))
        }
        if let unknown = rootMembers.first(where: { !fields.contains($0.name) }) {
            let guess = Suggestion.closest(to: unknown.name, in: fields).map { "; did you mean `\($0)`?" } ?? ""
            return fail("unknown request field `\(unknown.name)`\(guess) (a request has \(fields.map { "`\($0)`" }.joined(separator: ", ")))")
        }
        var method = "GET"
        if let value = root[member: "method"] {
            guard let text = value.stringValue, !text.isEmpty else { return fail("`method` must be a non-empty string") }
            method = text
        }
        var host: String?
        if let value = root[member: "host"] {
            if case .null = value {} else {
                guard let text = value.stringValue else { return fail("`host` must be a string") }
                host = text
            }
        }
        guard let target = root[member: "path"]?.stringValue else { return fail("the request has no `path` string") }
        var headers: [HTTPHeader] = []
        if let value = root[member: "headers"] {
            guard let members = value.members else { return fail("`headers` must be an object") }
            for member in members {
                if let text = member.value.stringValue {
                    headers.append(HTTPHeader(name: member.name, value: text))
                } else if let items = member.value.elements {
                    for item in items {
                        guard let text = item.stringValue else { return fail("header `\(member.name)` values must be strings") }
                        headers.append(HTTPHeader(name: member.name, value: text))
                    }
                } else {
                    return fail("header `\(member.name)` must be a string or an array of strings")
                }
            }
        }
        return .success(Parsed(request: HTTPRequest(method: method, host: host, target: target, headers: headers), id: id))
    }
}

/// Why a request line or file is not a request.
struct RequestInputError: Error {
    var message: String
    /// The request's `id`, when it could be read.
    var id: JSONOutput?

    init(_ message: String, id: JSONOutput? = nil) {
        self.message = message
        self.id = id
    }
}

/// Decisions as JSON, keys in a fixed order.
enum DecisionJSON {
    static func render(_ decision: Decision, id: JSONOutput? = nil) -> JSONOutput {
        var members: [(String, JSONOutput)] = id.map { [("id", $0)] } ?? []
        members += [
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
            ("method", .string(explanation.method)),
            ("domainClass", .string(explanation.domainClass)),
            ("pathNode", .int(explanation.pathNode)),
            ("protecting", .array(explanation.protecting.map { entry in
                .object([("entry", .string(entry.name)), ("mode", .string(entry.mode)), ("because", .array(entry.because.map { .string($0) }))])
            })),
        ]
        if !explanation.corsPreflightBypassed.isEmpty {
            members.append(("corsPreflightPasses", .array(explanation.corsPreflightBypassed.map { .string($0) })))
        }
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
    static func badInput(_ problem: String, id: JSONOutput? = nil) -> JSONOutput {
        .object((id.map { [("id", $0)] } ?? []) + [
            ("decision", .string("deny")), ("status", .int(400)), ("reason", .string("bad_request")),
            ("authentication", .null), ("message", .string(problem)),
            ("headers", .object([("set", .object([])), ("remove", .array([]))])),
            ("query", .object([("remove", .array([]))])), ("cookies", .object([("remove", .array([]))])),
        ])
    }
}
