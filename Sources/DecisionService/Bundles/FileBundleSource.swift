import Runtime

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bundle file, watched by its identity: device, inode, size and change times of the
/// file the path resolves to. Following the path on every check catches in-place writes,
/// renames over it and the atomic symlink swap of Kubernetes ConfigMap and Secret volumes
/// (`..data` pointing at a new directory), which a watch on the old inode would miss.
public struct FileBundleSource: BundleSource {
    public let kind = "file"
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public var location: String { path }

    /// The file's identity now, or nil when it cannot be read.
    func identity() -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        var real = path
        if let resolved = realpath(path, nil) {
            real = String(cString: resolved)
            free(resolved)
        }
        return "\(real)|\(info.st_dev)|\(info.st_ino)|\(info.st_size)|\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)|\(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec)"
    }

    public func fetch(ifChangedFrom tag: String?, force: Bool) async throws(BundleSourceError) -> BundleFetch {
        guard let before = identity() else { throw BundleSourceError("cannot read `\(path)`: \(String(cString: strerror(errno)))") }
        if !force, before == tag { return .unchanged }
        guard let bytes = FileBytes.read(path) else { throw BundleSourceError("cannot read `\(path)`") }
        // A file replaced while it was read is read again at the next check.
        return .bundle(bytes, tag: identity() == before ? before : "changed-while-reading")
    }
}
