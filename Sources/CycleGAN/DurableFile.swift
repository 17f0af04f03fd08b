#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written with POSIX calls and `fsync`ed before closing, for files
/// that must survive a crash (checkpoints). Closes itself if abandoned.
#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif

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
    func write(_ bytes: [UInt8]) throws(ArchiveError) {
        if let failure = bytes.withUnsafeBytes({ writeAll($0) }) { throw failure }
    }

    /// Writes `values` as little-endian float32.
    func write(_ values: [Float]) throws(ArchiveError) {
        #if _endian(big)
        let swapped = values.map { $0.bitPattern.littleEndian }
        if let failure = swapped.withUnsafeBytes({ writeAll($0) }) { throw failure }
        #else
        if let failure = values.withUnsafeBytes({ writeAll($0) }) { throw failure }
        #endif
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) -> ArchiveError? {
        guard var base = bytes.baseAddress else { return nil }
        var remaining = bytes.count
        while remaining > 0 {
            let written = systemWrite(descriptor, base, min(remaining, 1 << 30))
            if written < 0 {
                if errno == EINTR { continue }
                return .io(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
            }
            remaining -= written
            base += written
        }
        return nil
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
