import NIOCore

/// Closes an HTTP/1.1 connection whose request head (request line and headers) is not
/// complete within `timeout` of its first byte: a client trickling a byte every few
/// seconds is never idle, so the idle timeout alone would let it hold the connection
/// forever (slowloris). Like nginx's `client_header_timeout`, the clock starts with the
/// first byte of a request and stops when the exchange handler has the whole head; a
/// kept-alive connection waiting for its next request is governed by the idle timeout.
///
/// It sits in front of the HTTP decoder (it sees bytes); the exchange handler tells it
/// where a request stands with outbound user events (`HeadReceived`, `ResponseEnded`).
/// HTTP/2 connections turn it off (`Disable`): their requests arrive as whole frames.
final class RequestHeadDeadline: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Event: Sendable {
        /// The whole head of the current request was read: the clock stops.
        case headReceived
        /// The answer was written: the next byte starts the clock again.
        case responseEnded
        /// The connection speaks HTTP/2.
        case disable
    }

    let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    /// Between a head and the end of its answer, bytes (a body, a pipelined request) do
    /// not start the clock.
    private var answering = false
    private var disabled = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !disabled && !answering && timer == nil {
            let channel = context.channel
            timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? Event else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch event {
        case .headReceived:
            answering = true
            stop()
        case .responseEnded:
            answering = false
        case .disable:
            disabled = true
            stop()
        }
        promise?.succeed(())
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    private func stop() {
        timer?.cancel()
        timer = nil
    }
}
