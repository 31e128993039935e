import NIOCore
import NIOHTTP1
import NIOHTTP2

/// Serves HTTP/1.1 and cleartext HTTP/2 with prior knowledge (h2c, as Envoy's
/// `http2_protocol_options` clusters speak it) on one port: reads until the first bytes
/// show the HTTP/2 connection preface or not, then installs NIO's HTTP/1 or HTTP/2
/// pipeline and removes itself. HTTP/2 streams are converted to HTTP/1 parts, so the same
/// exchange handler serves both.
final class HTTPVersionSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    /// Makes the exchange handler of an HTTP/1.1 connection (false) or an HTTP/2 stream (true).
    let makeExchange: @Sendable (_ isStream: Bool) -> HTTPExchangeHandler
    private var buffered: ByteBuffer?

    init(makeExchange: @escaping @Sendable (_ isStream: Bool) -> HTTPExchangeHandler) {
        self.makeExchange = makeExchange
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        var bytes: ByteBuffer
        if var earlier = buffered {
            earlier.writeBuffer(&incoming)
            bytes = earlier
        } else {
            bytes = incoming
        }
        let count = min(bytes.readableBytes, Self.preface.count)
        let start = bytes.getBytes(at: bytes.readerIndex, length: count) ?? []
        let isHTTP2Prefix = start == Array(Self.preface.prefix(count))
        if isHTTP2Prefix && count < Self.preface.count {
            buffered = bytes
            return
        }
        buffered = nil
        do {
            if isHTTP2Prefix {
                let makeExchange = self.makeExchange
                _ = try context.pipeline.syncOperations.configureHTTP2Pipeline(
                    mode: .server, connectionConfiguration: .init(), streamConfiguration: .init()
                ) { stream in
                    stream.eventLoop.makeCompletedFuture {
                        try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                        try stream.pipeline.syncOperations.addHandler(makeExchange(true))
                    }
                }
            } else {
                try context.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                try context.pipeline.syncOperations.addHandler(makeExchange(false))
            }
        } catch {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
