#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written with POSIX calls and `fsync`ed before closing, for files
/// that must survive a crash (checkpoints). Closes itself if abandoned.
final class DurableFile {
    let path: String
    private var descriptor: Int32

    /// Creates or truncates `path` for writing.
    init(path: String) throws(ArchiveError) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if descriptor < 0 { throw .io(path: path, reason: "cannot create: \(String(cString: strerror(errno)))") }
    }

    /// Writes all of `bytes`, retrying short writes.
    func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = Glibc.write(descriptor, base, min(remaining, 1 << 30))
            if written < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
            }
            remaining -= written
            base += written
        }
    }

    /// Flushes to disk and closes.
    func finish() throws(ArchiveError) {
        defer { close(descriptor); descriptor = -1 }
        if fsync(descriptor) != 0 {
            throw .io(path: path, reason: "fsync failed: \(String(cString: strerror(errno)))")
        }
    }

    /// `fsync`s a directory so a rename inside it is durable.
    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }
}
