public import NIOCore

extension HTTPListener {
    /// Installs on `channel` the handlers `bind` gives each accepted connection (less the
    /// idle timeout and the connection limit): the request read deadline, the
    /// HTTP/1.1-or-h2c sniffer, and the exchange handler for `endpoint`. Public for the
    /// `forward-auth` fuzz target, which feeds raw bytes to an `EmbeddedChannel`; call it on
    /// the channel's event loop.
    public static func installConnectionHandlers(on channel: any Channel, endpoint: any HTTPEndpoint, limits: Limits = Limits()) throws {
        try installConnectionHandlers(on: channel, endpoint: endpoint, limits: limits, activity: nil)
    }

    static func installConnectionHandlers(on channel: any Channel, endpoint: any HTTPEndpoint, limits: Limits,
                                          activity: ListenerActivity?) throws {
        try channel.pipeline.syncOperations.addHandler(RequestReadDeadline(timeout: limits.requestReadTimeout))
        try channel.pipeline.syncOperations.addHandler(HTTPVersionSniffer { isStream in
            HTTPExchangeHandler(endpoint: endpoint, maxBodyBytes: limits.maxBodyBytes, maxHeaderBytes: limits.maxHeaderBytes,
                                activity: activity, reportsToParent: isStream)
        })
    }
}
