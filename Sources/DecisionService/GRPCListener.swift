import GRPCCore
import GRPCNIOTransportHTTP2Posix
import NIOCore
import NIOPosix
public import ServiceLifecycle

/// The gRPC listener (HTTP/2, plaintext, on loopback by default) with the ext_authz and
/// health services, as a lifecycle `Service`.
///
/// With `threads` set (the default: one per core), connections and RPC tasks share a
/// dedicated event-loop group (`EventLoopTaskExecutor`): each connection's requests run on
/// its own loop (Envoy keeps one HTTP/2 connection per worker), and no request hops between
/// threads. `threads: nil` leaves RPC tasks on Swift's global executor.
public final class GRPCListener: Service, Sendable {
    let server: GRPCServer<HTTP2ServerTransport.Posix>
    let address: ListenAddress
    let executor: EventLoopTaskExecutor?

    /// `onEventLoops`: RPC tasks run on their connection's loop, in a group of `threads`
    /// loops (default: one per core); false: on Swift's global executor.
    public init(address: ListenAddress, core: DecisionCore, onEventLoops: Bool = true, threads: Int? = nil, maxConcurrentStreams: Int = 1000) {
        let threads = onEventLoops ? (threads ?? System.coreCount) : nil
        self.address = address
        var config = HTTP2ServerTransport.Posix.Config.defaults
        // A CheckRequest is a few KiB; anything far larger is refused by the transport.
        config.rpc.maxRequestPayloadSize = 1 << 20
        // Checks in flight per connection (Envoy opens another connection beyond it).
        config.http2.maxConcurrentStreams = maxConcurrentStreams
        let group = threads.map { MultiThreadedEventLoopGroup(numberOfThreads: max(1, $0)) } ?? MultiThreadedEventLoopGroup.singleton
        executor = threads == nil ? nil : EventLoopTaskExecutor(group)
        server = GRPCServer(transport: .http2NIOPosix(address: address.isIPv6 ? .ipv6(host: address.host, port: address.port)
                                                                              : .ipv4(host: address.host, port: address.port),
                                                      transportSecurity: .plaintext, config: config, eventLoopGroup: group),
                            services: [ExtAuthzGRPC(core: core), HealthService(core: core)])
    }

    /// Waits until the listener is bound and returns the address (the chosen port for 0).
    public func boundAddress() async throws -> ListenAddress {
        do {
            let bound = try await server.transport.listeningAddress
            if let v4 = bound.ipv4 { return ListenAddress(host: v4.host, port: v4.port) }
            if let v6 = bound.ipv6 { return ListenAddress(host: v6.host, port: v6.port) }
            return address
        } catch {
            throw ListenerError(listener: "grpc", address: address, reason: "\(error)")
        }
    }

    public func run() async throws {
        do {
            try await withGracefulShutdownHandler {
                if let executor {
                    try await withTaskExecutorPreference(executor) { try await server.serve() }
                } else {
                    try await server.serve()
                }
            } onGracefulShutdown: {
                self.server.beginGracefulShutdown()
            }
        } catch {
            throw ListenerError(listener: "grpc", address: address, reason: "\(error)")
        }
    }
}

/// A listener that could not bind or stopped with an error.
public struct ListenerError: Error, CustomStringConvertible {
    public let listener: String
    public let address: ListenAddress
    public let reason: String

    public init(listener: String, address: ListenAddress, reason: String) {
        self.listener = listener
        self.address = address
        self.reason = reason
    }

    public var description: String { "cannot listen on \(address) (--\(listener)): \(reason)" }
}
