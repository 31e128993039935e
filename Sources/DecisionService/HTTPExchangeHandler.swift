import NIOCore
import NIOHTTP1
import Runtime

/// One HTTP/1.1 connection's (or HTTP/2 stream's) request/response exchange: collects the head, counts (and
/// discards) the body up to a limit, asks the endpoint, writes the reply. Parsing is
/// NIO's; malformed HTTP/1.1 requests get NIO's 400 from `HTTPServerProtocolErrorHandler`,
/// HTTP/2 streams NIO cannot convert the endpoint's 400 (`errorCaught`).
final class HTTPExchangeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let endpoint: any HTTPEndpoint
    let maxBodyBytes: Int
    /// The request line and headers together (names and values), at most.
    let maxHeaderBytes: Int
    let activity: ListenerActivity?
    /// An HTTP/2 stream reports to its connection's `RequestReadDeadline`, which sits in
    /// the parent channel's pipeline; an HTTP/1.1 exchange reports along its own pipeline.
    let reportsToParent: Bool
    private var head: HTTPRequestHead?
    /// The current request was reported to the deadline as read (and its answer not yet).
    private var reported = false
    private var bodyBytes = 0
    private var refused = false
    /// A request has been read and not yet answered.
    private var counted = false

    init(endpoint: any HTTPEndpoint, maxBodyBytes: Int, maxHeaderBytes: Int = 32 * 1024, activity: ListenerActivity? = nil,
         reportsToParent: Bool = false) {
        self.endpoint = endpoint
        self.reportsToParent = reportsToParent
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.activity = activity
    }

    /// The channel went away (while a reply was awaited, say): nothing more is written.
    private var removed = false

    func handlerRemoved(context: ChannelHandlerContext) {
        removed = true
        finishRequest()
        // An HTTP/2 stream reset while its answer was awaited: its connection goes on, and
        // its deadline must not wait for an answer that is never written.
        if reported && reportsToParent {
            reported = false
            report(.responseEnded, context: context)
        }
    }

    private func finishRequest() {
        if counted {
            counted = false
            activity?.requestFinished()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let received):
            head = received
            bodyBytes = 0
            refused = false
            if !counted {
                counted = true
                activity?.requestStarted()
            }
            var headerBytes = received.uri.utf8.count
            for (name, value) in received.headers { headerBytes += name.utf8.count + value.utf8.count + 4 }
            if headerBytes > maxHeaderBytes {
                // Oversized headers: the 400 denial, then close (never a decision on them).
                refused = true
                write(endpoint.badInputReply(), for: received, keepAlive: false, context: context)
            }
        case .body(let buffer):
            guard !refused, let head else { return }
            bodyBytes += buffer.readableBytes
            if bodyBytes > maxBodyBytes {
                // Answer now and close: never read an unbounded body.
                refused = true
                write(endpoint.badInputReply(), for: head, keepAlive: false, context: context)
            }
        case .end:
            guard !refused, let head else { return }
            self.head = nil
            reported = true
            report(.requestRead, context: context)
            let start = LatencyRecorder.now()
            let latency = endpoint.latency.map { ($0, start) }
            switch endpoint.answer(to: head, peer: context.channel.remoteAddress) {
            case .now(let reply):
                write(reply, for: head, keepAlive: head.isKeepAlive, context: context, latency: latency)
            case .later(let work):
                // NIO's pipelining handler holds the connection's next request until this
                // reply ends, so replies keep their order.
                let promise = context.eventLoop.makePromise(of: HTTPReply.self)
                promise.completeWithTask(work)
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                promise.futureResult.whenSuccess { reply in
                    let (handler, context) = bound.value
                    guard !handler.removed else { return }
                    handler.write(reply, for: head, keepAlive: head.isKeepAlive, context: context, latency: latency)
                }
            }
        }
    }

    /// An HTTP/2 stream whose header block NIO's HTTP/2-to-HTTP/1 codec cannot turn into a
    /// request head: one without `:method`, `:scheme`, `:path` or `:authority` (NIO requires
    /// `:authority` even with a `host` header). The codec throws and sends nothing, so
    /// without this the client would wait until it gave up. It gets the endpoint's 400
    /// denial instead, and the stream ends; the connection's other streams go on. HTTP/1.1
    /// parse errors never reach here: NIO's `HTTPServerProtocolErrorHandler` answers them.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard reportsToParent, !removed else {
            context.fireErrorCaught(error)
            return
        }
        guard head == nil, !reported, !refused else {
            // Mid-request or after an answer began: end the stream rather than answer twice.
            context.close(promise: nil)
            return
        }
        refused = true
        let placeholder = HTTPRequestHead(version: HTTPVersion(major: 2, minor: 0), method: .GET, uri: "/")
        write(endpoint.badInputReply(), for: placeholder, keepAlive: false, context: context)
    }

    /// Writes `reply`; `latency` records the time from `start` until the write completed.
    private func write(_ reply: HTTPReply, for head: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext,
                       latency: (LatencyRecorder, UInt64)? = nil) {
        // Before the end is written: NIO's pipelining handler delivers the connection's
        // next request from inside that write, and its `requestRead` must count after this.
        if reported {
            reported = false
            report(.responseEnded, context: context)
        }
        var headers = HTTPHeaders(reply.headers.map { ($0.name, $0.value) })
        headers.replaceOrAdd(name: "content-length", value: String(reply.body.utf8.count))
        // HTTP/2 has no connection header; closing a stream channel ends only that stream.
        if !keepAlive && head.version.major == 1 { headers.replaceOrAdd(name: "connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: reply.status)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD && !reply.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: reply.body)))), promise: nil)
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        done.futureResult.whenComplete { _ in loopBound.value.finishRequest() }
        if let latency {
            let (recorder, start) = latency
            done.futureResult.whenComplete { _ in recorder.record(since: start) }
        }
        if !keepAlive {
            let channel = context.channel
            done.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
    }

    private func report(_ event: RequestReadDeadline.Event, context: ChannelHandlerContext) {
        if reportsToParent {
            context.channel.parent?.pipeline.triggerUserOutboundEvent(event, promise: nil)
        } else {
            context.triggerUserOutboundEvent(event, promise: nil)
        }
    }
}
