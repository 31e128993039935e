public import NIOCore

extension HTTPListener {
    /// Installs on `channel` the handlers `bind` gives each accepted connection (less the
    /// idle timeout): the HTTP/1.1-or-h2c sniffer and the exchange handler for `endpoint`.
    /// Public for the `forward-auth` fuzz target, which feeds raw bytes to an
    /// `EmbeddedChannel`; call it on the channel's event loop.
    public static func installConnectionHandlers(on channel: any Channel, endpoint: any HTTPEndpoint, maxBodyBytes: Int = 64 * 1024) throws {
        try channel.pipeline.syncOperations.addHandler(HTTPVersionSniffer {
            HTTPExchangeHandler(endpoint: endpoint, maxBodyBytes: maxBodyBytes)
        })
    }
}
