import NIOCore
import NIOPosix

/// A Swift concurrency task executor backed by the event loops of one SwiftNIO group. The
/// gRPC listener runs its server under this executor's preference with its connections on
/// the same group, so a Check request's tasks (grpc-swift's per-RPC tasks and our handler)
/// run on the thread that reads and writes its connection: a job enqueued from one of the
/// group's loops stays on that loop, and only jobs enqueued from elsewhere go round robin.
/// Without it every request part hops to Swift's global pool and back, and on a machine
/// shared with the gateway each hop is a thread wake-up: that is what costs most.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let group: MultiThreadedEventLoopGroup
    private let members: Set<ObjectIdentifier>

    init(_ group: MultiThreadedEventLoopGroup) {
        self.group = group
        members = Set(group.makeIterator().map { ObjectIdentifier($0 as AnyObject) })
    }

    /// The loop a job enqueued now should run on.
    var loop: any EventLoop {
        if let current = MultiThreadedEventLoopGroup.currentEventLoop, members.contains(ObjectIdentifier(current as AnyObject)) {
            return current
        }
        return group.next()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute {
            job.runSynchronously(on: executor)
        }
    }
}
