import Glibc

/// Reading small text files (configuration, tokens) with the system's reason on failure.
enum TextFile {
    enum Failure: Error, Equatable {
        /// open/read failed; `reason` is the system's message ("No such file or directory").
        case system(errno: Int32, reason: String)
        case notRegularFile
        case tooLarge(limit: Int)
        case notUTF8

        var message: String {
            switch self {
            case .system(_, let reason): return reason
            case .notRegularFile: return "not a regular file"
            case .tooLarge(let limit): return "larger than \(limit) bytes"
            case .notUTF8: return "not UTF-8 text"
            }
        }
    }

    /// The file's bytes as UTF-8 text, refusing files over `maxBytes`.
    static func read(_ path: String, maxBytes: Int) -> Result<String, Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(systemFailure()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(systemFailure()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .failure(.notRegularFile) }
        guard Int(info.st_size) <= maxBytes else { return .failure(.tooLarge(limit: maxBytes)) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(systemFailure())
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > maxBytes { return .failure(.tooLarge(limit: maxBytes)) }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .failure(.notUTF8) }
        return .success(text)
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    private static func systemFailure() -> Failure {
        let code = errno
        return .system(errno: code, reason: String(cString: strerror(code)))
    }
}
