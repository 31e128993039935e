import NIOCore
import NIOHTTP1
import NIOPosix
public import ServiceLifecycle

/// An HTTP/1.1 and cleartext HTTP/2 (prior knowledge) listener on SwiftNIO serving one endpoint.
/// A connection silent for 60 seconds is closed. `bind` binds at once (so a busy
/// port fails before startup is announced); `run` serves until graceful shutdown.
public final class HTTPListener: Service, Sendable {
    public let name: String
    let channel: any Channel

    init(name: String, channel: any Channel) {
        self.name = name
        self.channel = channel
    }

    /// Binds `address` and starts accepting connections for `endpoint`.
    public static func bind(_ address: ListenAddress, name: String, endpoint: any HTTPEndpoint, maxBodyBytes: Int = 64 * 1024) async throws -> HTTPListener {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .seconds(60)))
                    try channel.pipeline.syncOperations.addHandler(IdleConnectionCloser())
                    try channel.pipeline.syncOperations.addHandler(HTTPVersionSniffer {
                        HTTPExchangeHandler(endpoint: endpoint, maxBodyBytes: maxBodyBytes)
                    })
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
        return HTTPListener(name: name, channel: channel)
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
    }

    /// Stops accepting connections.
    public func close() async {
        try? await channel.close()
    }
}
