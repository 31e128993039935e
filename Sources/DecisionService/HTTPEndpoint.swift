public import NIOCore
public import NIOHTTP1
public import Runtime

/// A plain HTTP answer: what an endpoint sends back for one request.
public struct HTTPReply: Sendable, Equatable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: String

    public init(status: Int, headers: [HTTPHeader] = [], body: String = "") {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of `name` (case-insensitive), for tests and callers.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// What one HTTP listener does with each request: a pure function of the request head and
/// the peer address, so the mapping is testable without sockets. Bodies are not read
/// (every protocol here decides on the head); a body over the limit is refused.
public protocol HTTPEndpoint: Sendable {
    /// The listener's name in logs and counters.
    var transport: String { get }
    func reply(to head: HTTPRequestHead, peer: SocketAddress?) -> HTTPReply
    /// The reply now, or work to await (a decision waiting for a key set refetch). By
    /// default, `reply(to:peer:)` now.
    func answer(to head: HTTPRequestHead, peer: SocketAddress?) -> HTTPAnswer
    /// The answer to a request that is oversized or cannot be parsed.
    func badInputReply() -> HTTPReply
    /// Where the listener records its handler latency, if it does.
    var latency: LatencyRecorder? { get }
}

/// An endpoint's reply, now or later.
public enum HTTPAnswer: Sendable {
    case now(HTTPReply)
    case later(@Sendable () async -> HTTPReply)

    /// The decision core's attempt, mapped to replies by `reply`.
    static func from(_ attempt: DecisionCore.Attempt, _ reply: @escaping @Sendable (DecisionCore.Outcome) -> HTTPReply) -> HTTPAnswer {
        switch attempt {
        case .done(let outcome): .now(reply(outcome))
        case .waiting(let work): .later { reply(await work()) }
        }
    }
}

extension HTTPEndpoint {
    public var latency: LatencyRecorder? { nil }

    public func answer(to head: HTTPRequestHead, peer: SocketAddress?) -> HTTPAnswer {
        .now(reply(to: head, peer: peer))
    }

    /// The headers of `head` as the runtime takes them, in arrival order.
    static func runtimeHeaders(_ head: HTTPRequestHead, excluding excluded: Set<String> = []) -> [HTTPHeader] {
        head.headers.compactMap { name, value in
            excluded.contains(name.lowercased()) ? nil : HTTPHeader(name: name, value: value)
        }
    }
}

/// Denials as HTTP replies, shared by the HTTP endpoints.
enum DenialReply {
    static func reply(_ response: ServiceResponse, status: Int? = nil) -> HTTPReply {
        HTTPReply(status: status ?? response.status,
                  headers: DenialHeaders.fields(response).map { HTTPHeader($0.name, $0.value) },
                  body: response.body)
    }

    /// 503 when no bundle is active: the gateway treats it as an authorization failure
    /// and applies its own failure mode (never an allow).
    static let unavailable = HTTPReply(status: 503, headers: [HTTPHeader("content-type", "application/json")],
                                       body: "{\"reason\":\"unavailable\",\"description\":\"no policy is active\"}")
}
