#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a `pthread_mutex_t`: what every lock of the runtime and the decision
/// service is. The standard library's `Synchronization.Mutex` would do, but on Linux it is a
/// futex inside the uninstrumented `Synchronization` module, so ThreadSanitizer cannot see
/// it and reports every access it protects as a race (docs/reliability.md); pthread
/// mutexes are intercepted by every sanitizer. The same API as `Mutex.withLock`.
///
/// The value lives in memory of its own, not in a stored `var`: the lock already makes
/// every access exclusive, and a class's `var` would add the runtime's dynamic exclusivity
/// check (`swift_beginAccess`) to each one, on every decision that reads the token cache.
public final class Locked<Value>: @unchecked Sendable {
    @usableFromInline
    let storage: UnsafeMutablePointer<Value>
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init(_ value: Value) {
        storage = UnsafeMutablePointer<Value>.allocate(capacity: 1)
        storage.initialize(to: value)
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init: \(status)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    @inlinable
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        lock()
        defer { unlock() }
        return try body(&storage.pointee)
    }

    @usableFromInline
    func lock() {
        let status = pthread_mutex_lock(mutex)
        precondition(status == 0, "pthread_mutex_lock: \(status)")
    }

    @usableFromInline
    func unlock() {
        let status = pthread_mutex_unlock(mutex)
        precondition(status == 0, "pthread_mutex_unlock: \(status)")
    }
}
