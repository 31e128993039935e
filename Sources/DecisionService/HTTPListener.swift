public import NIOCore
import NIOHTTP1
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// An HTTP/1.1 and cleartext HTTP/2 (prior knowledge) listener on SwiftNIO serving one endpoint.
/// A connection silent for `idleTimeout`, or one that sends bytes but completes no request
/// within `requestReadTimeout` (`RequestReadDeadline`), is closed; connections over `maxConnections` are
/// closed at once. `bind` binds at once (so a busy port fails before startup is
/// announced); `run` serves until graceful shutdown, then stops accepting and waits (up to
/// the service group's bound) until the requests in flight are answered.
public final class HTTPListener: Service, Sendable {
    /// Connection and request limits, with safe defaults (docs/deployment.md).
    public struct Limits: Sendable {
        public var maxConnections: Int
        public var idleTimeout: TimeAmount
        public var maxBodyBytes: Int
        /// Request line plus headers (names and values).
        public var maxHeaderBytes: Int
        /// From the first byte read while no request is in progress to a whole request
        /// (head and body, HTTP/1.1 or HTTP/2), at most.
        public var requestReadTimeout: TimeAmount

        public init(maxConnections: Int = 4096, idleTimeout: TimeAmount = .seconds(60), maxBodyBytes: Int = 64 * 1024,
                    maxHeaderBytes: Int = 32 * 1024, requestReadTimeout: TimeAmount = .seconds(10)) {
            self.maxConnections = maxConnections
            self.idleTimeout = idleTimeout
            self.maxBodyBytes = maxBodyBytes
            self.maxHeaderBytes = maxHeaderBytes
            self.requestReadTimeout = requestReadTimeout
        }
    }

    public let name: String
    let channel: any Channel
    let activity: ListenerActivity

    init(name: String, channel: any Channel, activity: ListenerActivity) {
        self.name = name
        self.channel = channel
        self.activity = activity
    }

    /// Binds `address` and starts accepting connections for `endpoint`.
    public static func bind(_ address: ListenAddress, name: String, endpoint: any HTTPEndpoint, limits: Limits = Limits()) async throws -> HTTPListener {
        let activity = ListenerActivity()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard activity.openConnection(limit: limits.maxConnections) else {
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in activity.closeConnection() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: limits.idleTimeout))
                    try channel.pipeline.syncOperations.addHandler(IdleConnectionCloser())
                    try installConnectionHandlers(on: channel, endpoint: endpoint, limits: limits, activity: activity)
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
        return HTTPListener(name: name, channel: channel, activity: activity)
    }

    /// The address actually bound (the chosen port when 0 was asked for).
    public var boundAddress: ListenAddress? {
        guard let local = channel.localAddress, let ip = local.ipAddress, let port = local.port else { return nil }
        return ListenAddress(host: ip, port: port)
    }

    public func run() async throws {
        let channel = self.channel
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await channel.closeFuture.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
        // No new connections now; let the requests in flight finish (cancellation, when the
        // group's shutdown bound passes, ends the wait).
        while activity.requestsInFlight > 0 && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops accepting connections.
    public func close() async {
        try? await channel.close()
    }
}

/// Open connections and requests in flight on one listener.
final class ListenerActivity: Sendable {
    private let connections = Atomic<Int>(0)
    private let inFlight = Atomic<Int>(0)

    /// Counts a new connection; false (and not counted) when `limit` are open.
    func openConnection(limit: Int) -> Bool {
        let now = connections.wrappingAdd(1, ordering: .relaxed).newValue
        if now > limit {
            connections.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func closeConnection() { connections.wrappingSubtract(1, ordering: .relaxed) }
    func requestStarted() { inFlight.wrappingAdd(1, ordering: .relaxed) }
    func requestFinished() { inFlight.wrappingSubtract(1, ordering: .relaxed) }
    var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }
    var openConnections: Int { connections.load(ordering: .relaxed) }
}
