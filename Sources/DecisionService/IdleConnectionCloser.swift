import NIOCore

/// Closes a connection that has sent nothing for the idle timeout (paired with NIO's
/// `IdleStateHandler`), so slow or abandoned clients cannot hold connections forever.
final class IdleConnectionCloser: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
