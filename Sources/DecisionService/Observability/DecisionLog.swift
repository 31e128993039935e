import BundleFormat
import JOSE
import Runtime
public import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decision logs: one JSON line per decision (or per sampled decision) to standard output
/// or a file, written by a background task from a bounded buffer. A full buffer drops the
/// line and counts the drop: logging never slows a decision down. The decision path only
/// appends a record under a short lock (no wake-up, no formatting, no system call); the
/// writer takes the whole buffer every `flushInterval`, formats it and writes it at once.
///
/// Fields: `time`, `request_id` (`x-request-id` when present), `revision`, `transport`,
/// `entry`, `outcome`, `status`, `reason`, `issuer`, `kid`, `sub` (off, hashed or plain),
/// `method`, `host`, `path` (without the query), `latency_us`. Never the token, a secret,
/// query values or cookie values.
public final class DecisionLog: Service, Sendable {
    /// How the token's `sub` appears.
    public enum SubjectMode: String, Sendable, CaseIterable {
        /// Left out.
        case off
        /// `sha256:` and the first 16 hex digits of SHA-256 over the subject: correlates
        /// a subject's decisions without naming it.
        case hashed
        /// As the token has it.
        case plain
    }

    /// One decision, as the decision path hands it over (formatting happens in the writer).
    struct Record: Sendable {
        let time: Double
        let requestID: String?
        let revision: String
        let transport: String
        let entry: String?
        let allowed: Bool
        let status: Int
        let reason: Decision.Reason
        let issuer: String?
        let kid: String?
        let subject: String?
        let method: String
        let host: String?
        let path: String
        let latencyNanoseconds: Int
    }

    let descriptor: Int32
    let closeWhenDone: Bool
    let subjectMode: SubjectMode
    /// Lines per decision, from 0 (none) to 1 (every decision).
    let sample: Double
    private let sequence = Atomic<Int>(0)
    private let buffer: Locked<[Record]>
    let capacity: Int
    /// How often the writer takes the buffer.
    let flushInterval: Duration
    let metrics: ServiceMetrics?

    /// `path` is `-` for standard output or a file to append to (created 0600).
    public init(path: String, subjectMode: SubjectMode = .hashed, sample: Double = 1, capacity: Int = 10_000,
                flushInterval: Duration = .milliseconds(50), metrics: ServiceMetrics? = nil) throws(DecisionLogError) {
        if path == "-" {
            descriptor = STDOUT_FILENO
            closeWhenDone = false
        } else {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw DecisionLogError("cannot open `\(path)` for appending: \(String(cString: strerror(errno)))") }
            descriptor = fd
            closeWhenDone = true
        }
        guard sample >= 0, sample <= 1 else { throw DecisionLogError("the sample rate must be between 0 and 1") }
        guard capacity > 0 else { throw DecisionLogError("the buffer must hold at least one line") }
        self.subjectMode = subjectMode
        self.sample = sample
        self.metrics = metrics
        self.capacity = capacity
        self.flushInterval = flushInterval
        var initial: [Record] = []
        initial.reserveCapacity(min(capacity, 4096))
        buffer = Locked(initial)
    }

    /// Whether decision number `n` (from 0) is sampled: exactly `sample` of all decisions,
    /// spread evenly, without a random number per decision.
    static func sampled(_ n: Int, rate: Double) -> Bool {
        if rate >= 1 { return true }
        if rate <= 0 { return false }
        return Int((Double(n + 1) * rate).rounded(.down)) > Int((Double(n) * rate).rounded(.down))
    }

    /// Hands one decision to the writer; never blocks.
    func log(_ decision: Decision, request: HTTPRequest, revision: String, transport: String, time: Double, latencyNanoseconds: Int) {
        let n = sequence.wrappingAdd(1, ordering: .relaxed).oldValue
        guard Self.sampled(n, rate: sample) else { return }
        var requestID: String?
        for header in request.headers where header.name.utf8.count == 12 && header.name.lowercased() == "x-request-id" {
            requestID = header.value
            break
        }
        let path = request.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let record = Record(
            time: time, requestID: requestID, revision: revision, transport: transport, entry: decision.authentication,
            allowed: decision.isAllowed, status: decision.status, reason: decision.reason, issuer: decision.tokenIssuer,
            kid: decision.tokenKeyID, subject: subjectMode == .off ? nil : decision.tokenSubject, method: request.method,
            host: request.host, path: path, latencyNanoseconds: latencyNanoseconds)
        let kept = buffer.withLock { records -> Bool in
            guard records.count < capacity else { return false }
            records.append(record)
            return true
        }
        if !kept { metrics?.logDropped.increment() }
    }

    /// Writes the buffer every `flushInterval` until graceful shutdown, then once more.
    public func run() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: flushInterval)
            flush()
        }
        flush()
        if closeWhenDone { close(descriptor) }
    }

    /// Takes what is buffered and writes it in one go.
    func flush() {
        let records = buffer.withLock { records -> [Record] in
            let taken = records
            records.removeAll(keepingCapacity: true)
            return taken
        }
        guard !records.isEmpty else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(records.count * 400)
        for record in records {
            bytes.append(contentsOf: line(record).utf8)
            bytes.append(0x0A)
        }
        emit(bytes)
        metrics?.logLines.increment(by: Int64(records.count))
    }

    func emit(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }

    /// The JSON line of `record`. Values that come from the request are bounded in length.
    func line(_ record: Record) -> String {
        var json = JSONLine()
        json.add("time", Self.timestamp(record.time))
        json.add("request_id", record.requestID.map { Self.bounded($0, 128) })
        json.add("revision", record.revision)
        json.add("transport", record.transport)
        json.add("entry", record.entry)
        json.add("outcome", record.allowed ? "allow" : "deny")
        json.addNumber("status", String(record.status))
        json.add("reason", record.reason.rawValue)
        json.add("issuer", record.issuer.map { Self.bounded($0, 256) })
        json.add("kid", record.kid.map { Self.bounded($0, 128) })
        switch subjectMode {
        case .off: break
        case .hashed: json.add("sub", record.subject.map { "sha256:" + String(SHA256.hex(Array($0.utf8)).prefix(16)) })
        case .plain: json.add("sub", record.subject.map { Self.bounded($0, 256) })
        }
        json.add("method", Self.bounded(record.method, 32))
        json.add("host", record.host.map { Self.bounded($0, 256) })
        json.add("path", Self.bounded(record.path, 1024))
        json.addNumber("latency_us", String(record.latencyNanoseconds / 1000))
        return json.finish()
    }

    /// At most `limit` UTF-8 bytes, cut at a character boundary, marked with `…` when cut.
    static func bounded(_ text: String, _ limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var result = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            if used + size > limit { break }
            result.append(character)
            used += size
        }
        return result + "…"
    }

    /// `2026-12-01T23:59:59.123Z`.
    static func timestamp(_ seconds: Double) -> String {
        guard let whole = TimeText.iso8601(seconds.rounded(.down)) else { return TimeText.number(seconds) }
        let millis = Int((seconds - seconds.rounded(.down)) * 1000)
        let digits = String(millis)
        return whole.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }
}

/// A decision log that cannot be opened or configured.
public struct DecisionLogError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A flat JSON object built as text, with strings escaped per RFC 8259.
struct JSONLine {
    private var text = "{"

    mutating func add(_ key: String, _ value: String?) {
        guard let value else { return }
        separate(key)
        text += Self.quoted(value)
    }

    mutating func addNumber(_ key: String, _ value: String) {
        separate(key)
        text += value
    }

    private mutating func separate(_ key: String) {
        if text.utf8.count > 1 { text += "," }
        text += "\"\(key)\":"
    }

    func finish() -> String { text + "}" }

    static func quoted(_ value: String) -> String { JSONText.quoted(value) }
}

extension DecisionLog {
    /// Writes what is buffered, as the writer does (tests).
    func finishForTesting() async {
        flush()
    }
}
