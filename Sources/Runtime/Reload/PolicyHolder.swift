import Atomics
import BundleFormat
import Synchronization

/// Holds the policy in use and swaps in new bundles atomically.
///
/// A reload that fails (unreadable, corrupted, unsigned when trusted keys are set, a
/// missing environment secret) leaves the last good policy serving and reports why.
/// Readers take the current policy with `current` (one atomic load of a strong reference,
/// no lock) and then decide on that immutable snapshot.
public final class PolicyHolder: Sendable {
    /// What happened to the last reload.
    public enum ReloadOutcome: Sendable {
        case loaded(revision: String)
        case keptPrevious(revision: String?, error: PolicyLoadError)
    }

    private let policy = ManagedAtomic<LoadedPolicy?>(nil)
    private let state: Locked<State>
    public let loader: PolicyLoader

    /// The reload bookkeeping; `policy` is swapped under this lock too, so a reload's
    /// outcome and the policy it installed always agree.
    struct State {
        var lastError: PolicyLoadError?
    }

    public init(loader: PolicyLoader = PolicyLoader()) {
        self.loader = loader
        state = Locked(State())
    }

    /// The policy in use, or nil before the first successful load.
    public var current: LoadedPolicy? {
        policy.load(ordering: .acquiring)
    }

    /// The revision in use.
    public var revision: String? { current?.revision }

    /// Why the last reload failed, if it did.
    public var lastError: PolicyLoadError? {
        state.withLock { $0.lastError }
    }

    /// Loads `bytes` and swaps the result in; on failure keeps serving the previous policy.
    @discardableResult
    public func reload(bytes: [UInt8]) -> ReloadOutcome {
        do {
            let loaded = try loader.load(bytes: bytes)
            install(loaded)
            return .loaded(revision: loaded.revision)
        } catch {
            noteFailure(error)
            return .keptPrevious(revision: current?.revision, error: error)
        }
    }

    /// Swaps in a policy the caller loaded (through `loader`) and checked further; decisions
    /// already running finish on the policy they started with.
    public func install(_ loaded: LoadedPolicy) {
        state.withLock { state in
            policy.store(loaded, ordering: .releasing)
            state.lastError = nil
        }
    }

    /// Records a failed activation (the policy in use stays).
    public func noteFailure(_ error: PolicyLoadError) {
        state.withLock { $0.lastError = error }
    }

    /// Reads a bundle file and reloads from it.
    @discardableResult
    public func reload(path: String) -> ReloadOutcome {
        guard let bytes = FileBytes.read(path) else {
            let error = PolicyLoadError("cannot read `\(path)`", kind: .unreadable)
            noteFailure(error)
            return .keptPrevious(revision: current?.revision, error: error)
        }
        return reload(bytes: bytes)
    }

    /// Decides with the policy in use; without one, every request is denied (fail closed).
    public func decide(_ request: HTTPRequest, now: Double, explain: Bool = false) -> Decision? {
        current?.decide(request, now: now, explain: explain)
    }
}
