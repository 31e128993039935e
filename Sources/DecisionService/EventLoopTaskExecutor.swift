import NIOCore

/// A Swift concurrency task executor backed by one SwiftNIO event loop. The gRPC listener
/// runs its server under this executor's preference, on the same single event loop as its
/// connections, so a Check request's tasks (grpc-swift's per-RPC tasks and our handler) run
/// on the thread that reads and writes the socket: no hand-off to the global pool and back
/// for every request part. On a machine shared with the gateway that hand-off (a thread
/// wake-up per hop) is what costs most.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute {
            job.runSynchronously(on: executor)
        }
    }
}
