import Runtime

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--bundle-cache DIR`: the last bundle that activated, kept on disk so a restart while
/// the source is down still serves. What is read back is verified again like any bundle.
public struct BundleCache: Sendable {
    public let directory: String

    public init(directory: String) throws(BundleSourceError) {
        var info = stat()
        if stat(directory, &info) != 0 {
            guard mkdir(directory, 0o700) == 0 else {
                throw BundleSourceError("cannot create the bundle cache `\(directory)`: \(String(cString: strerror(errno)))")
            }
        } else if (info.st_mode & S_IFMT) != S_IFDIR {
            throw BundleSourceError("the bundle cache `\(directory)` is not a directory")
        }
        self.directory = directory
    }

    public var path: String { directory + "/bundle.gpb" }

    /// Writes `bytes` atomically: a temporary file, flushed, renamed over the old one.
    public func store(_ bytes: [UInt8]) throws(BundleSourceError) {
        let temporary = "\(directory)/.bundle.gpb.\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BundleSourceError("cannot write the bundle cache: \(String(cString: strerror(errno)))") }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                close(fd)
                unlink(temporary)
                throw BundleSourceError("cannot write the bundle cache: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw BundleSourceError("cannot write the bundle cache: \(String(cString: strerror(errno)))")
        }
    }

    /// The cached bundle's bytes, if there is one.
    public func load() -> [UInt8]? { FileBytes.read(path) }
}
