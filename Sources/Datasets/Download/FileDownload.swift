import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Downloads a URL into a file, resuming a partial download with an HTTP Range request:
/// the bytes go to `PATH.part`, which is renamed to `PATH` once complete. A connection
/// that breaks or stalls is retried (bounded) from where it stopped; a later run resumes too.
public struct FileDownload {
    public struct Options: Sendable {
        /// Seconds without a byte before an attempt is abandoned.
        public var timeout: Double = 30
        /// Attempts in all (the first one included).
        public var attempts: Int = 5
        /// Seconds before the first retry; doubled for each further one.
        public var retryDelay: Double = 1
        /// Free bytes on the file system holding a folder, nil when unknown (tests replace it).
        public var freeSpace: @Sendable (String) -> Int64? = FileDownload.freeSpace
        public init() {}
    }

    /// Progress: bytes on disk so far, and the full size when the server said.
    public typealias ProgressHandler = (_ bytes: Int64, _ total: Int64?) -> Void

    /// Free bytes on the file system holding `path`, or nil when unknown.
    @Sendable public static func freeSpace(_ path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Downloads `url` to `path` (skipped when `path` already exists).
    /// - Returns: the number of bytes fetched by this call (0 when the file was already there).
    @discardableResult
    public static func fetch(_ url: String, to path: String, options: Options = Options(),
                             progress: ProgressHandler = { _, _ in }) throws(DownloadError) -> Int64 {
        guard let target = URL(string: url), let scheme = target.scheme?.lowercased(),
              scheme == "http" || scheme == "https", target.host != nil else { throw .badURL(url) }
        if FileManager.default.fileExists(atPath: path) { return 0 }
        let part = path + ".part"
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder.isEmpty ? "." : folder, withIntermediateDirectories: true)
        } catch {
            throw .io(path: folder, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        var fetched: Int64 = 0
        var delay = options.retryDelay
        var lastFailure: DownloadError = .network(url: url, reason: "no attempt made", attempts: 0)
        for attempt in 1...max(1, options.attempts) {
            let writer = PartWriter(path: part, freeSpace: options.freeSpace)
            let have = writer.size
            var headers: [String: String] = [:]
            if have > 0 { headers["Range"] = "bytes=\(have)-" }
            let (head, outcome) = HTTPTransfer.run(
                url: target, headers: headers, timeout: options.timeout,
                onHead: { head in writer.start(head, resumingFrom: have, url: url) },
                onData: { data in writer.write(data) },
                poll: { _ in
                    let (size, total) = writer.status
                    progress(size, total)
                })
            let (size, total) = writer.status
            writer.close()
            fetched += max(0, size - have)
            switch outcome {
            case .stopped(let error):
                switch error {
                case .httpStatus(_, let status) where status >= 500 && attempt < options.attempts: lastFailure = error
                case .network where attempt < options.attempts: lastFailure = error
                default: throw error
                }
            case .finished:
                if let total, size < total {
                    lastFailure = .network(url: url, reason: "connection closed after \(size) of \(total) bytes",
                                           attempts: attempt)
                } else if head?.status == 200 || head?.status == 206 {
                    if rename(part, path) != 0 {
                        throw .io(path: path, reason: "cannot rename \(part): \(String(cString: strerror(errno)))")
                    }
                    return fetched
                } else {
                    throw .httpStatus(url: url, status: head?.status ?? 0)
                }
            case .timedOut:
                lastFailure = .timedOut(url: url, seconds: options.timeout, attempts: attempt)
            case .failed(let reason):
                lastFailure = .network(url: url, reason: reason, attempts: attempt)
            }
            if attempt < options.attempts {
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 30)
            }
        }
        throw lastFailure
    }
}

/// The `.part` file of a download: appended to on the session's queue, read by the poller.
final class PartWriter: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var descriptor: Int32 = -1
    private var bytes: Int64
    private var total: Int64?

    private let freeSpace: @Sendable (String) -> Int64?

    init(path: String, freeSpace: @escaping @Sendable (String) -> Int64?) {
        self.path = path
        self.freeSpace = freeSpace
        var info = stat()
        bytes = stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    var size: Int64 { lock.withLock { bytes } }
    var status: (Int64, Int64?) { lock.withLock { (bytes, total) } }

    /// Opens the file for the response: appends after a 206 that starts where the file ends,
    /// truncates after a 200. Returns the error that stops the transfer, if any.
    func start(_ head: HTTPTransfer.Head, resumingFrom have: Int64, url: String) -> DownloadError? {
        let append: Bool
        switch head.status {
        case 206 where head.rangeStart == have: append = true
        case 200, 206: append = false
        case 416 where have > 0: append = false  // the part is stale or complete; start over
        default: return .httpStatus(url: url, status: head.status)
        }
        if head.status == 416 {
            unlink(path)
            lock.withLock { bytes = 0 }
            return .network(url: url, reason: "the server refused to resume (HTTP 416); starting over", attempts: 1)
        }
        let full = append ? head.rangeTotal ?? head.contentLength.map { $0 + have } : head.contentLength
        let missing = (full ?? 0) - (append ? have : 0)
        let folder = (path as NSString).deletingLastPathComponent
        if missing > 0, let free = freeSpace(folder.isEmpty ? "." : folder), free < missing {
            return .diskFull(path: folder.isEmpty ? "." : folder, needed: missing)
        }
        let fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0o644)
        if fd < 0 { return .io(path: path, reason: String(cString: strerror(errno))) }
        lock.withLock {
            descriptor = fd
            total = full
            if !append { bytes = 0 }
        }
        return nil
    }

    func write(_ data: Data) -> DownloadError? {
        let fd = lock.withLock { descriptor }
        let failure = data.withUnsafeBytes { writeAll(fd, $0) }
        if let failure {
            if failure == ENOSPC || failure == EDQUOT { return .diskFull(path: path, needed: nil) }
            return .io(path: path, reason: "write failed: " + String(cString: strerror(failure)))
        }
        lock.withLock { bytes += Int64(data.count) }
        return nil
    }

    func close() {
        lock.withLock {
            if descriptor >= 0 { Glibc.close(descriptor) }
            descriptor = -1
        }
    }
}

/// Writes all of `bytes` to `fd`; returns the errno of a failed write (ENOSPC: disk full).
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
    guard let base = bytes.baseAddress else { return nil }
    var offset = 0
    while offset < bytes.count {
        let n = Glibc.write(fd, base + offset, bytes.count - offset)
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        offset += n
    }
    return nil
}
