import NIOCore

/// Closes a connection that sends bytes but does not complete a request within `timeout`
/// (slowloris): a client trickling a byte every few seconds is never idle, so the idle
/// timeout alone would let it hold a connection forever. Like nginx's
/// `client_header_timeout` and `client_body_timeout` together, the clock starts with the
/// first byte read while no request is in progress and stops when a whole request (head
/// and body) has been read; a kept-alive connection with nothing in flight and nothing
/// arriving is the idle timeout's business.
///
/// The same rule holds on HTTP/2: a connection whose bytes (SETTINGS, PING, a trickled
/// HEADERS or DATA frame) complete no request within `timeout` is closed, while one with a
/// request read and not yet answered is left alone.
///
/// It sits in front of the HTTP decoder (it sees bytes); the exchange handlers tell it
/// where the requests stand with outbound user events on the connection's channel
/// (`requestRead`, `responseEnded`). It counts them rather than keeping a flag, so the
/// order in which pipelined HTTP/1.1 requests or concurrent HTTP/2 streams report does not
/// matter.
final class RequestReadDeadline: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Event: Sendable {
        /// A whole request was read: the clock stops until its answer is written.
        case requestRead
        /// The answer to a request that reported `requestRead` was written.
        case responseEnded
    }

    let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    /// Requests read and not yet answered; while there are any, bytes (a pipelined request,
    /// another stream) do not start the clock.
    private var awaitingAnswers = 0

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if awaitingAnswers == 0 && timer == nil {
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
        case .requestRead:
            awaitingAnswers += 1
            timer?.cancel()
            timer = nil
        case .responseEnded:
            awaitingAnswers = max(0, awaitingAnswers - 1)
        }
        promise?.succeed(())
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }
}
