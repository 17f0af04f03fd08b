/// Why a download failed; every case names the URL or file and what to do.
public enum DownloadError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The server answered with an HTTP error status (404: the URL is dead).
    case httpStatus(url: String, status: Int)
    /// No answer within the timeout, after `attempts` tries.
    case timedOut(url: String, seconds: Double, attempts: Int)
    /// The connection failed or broke, after `attempts` tries.
    case network(url: String, reason: String, attempts: Int)
    /// The disk is full (or a write failed) at `path`.
    case diskFull(path: String, needed: Int64?)
    case io(path: String, reason: String)
    /// The archive is damaged or cut short.
    case badArchive(path: String, reason: String)
    /// The URL is not http(s) or does not parse.
    case badURL(String)
    /// The response was larger than allowed.
    case tooLarge(url: String, limit: Int)

    public var description: String {
        switch self {
        case .httpStatus(let url, let status):
            let hint = status == 404 || status == 410
                ? "the file is not (or no longer) there; check the URL or pass another one with --url"
                : status >= 500 ? "the server has a problem; try again later" : "check the URL"
            return "\(url): HTTP \(status) (\(hint))"
        case .timedOut(let url, let seconds, let attempts):
            return "\(url): no data for \(formatSeconds(seconds)) (\(attempts) attempt\(attempts == 1 ? "" : "s")); "
                + "the server is slow or unreachable; try again later or raise --timeout"
        case .network(let url, let reason, let attempts):
            return "\(url): \(reason) (\(attempts) attempt\(attempts == 1 ? "" : "s")); check the network and run again "
                + "(a partial download resumes where it stopped)"
        case .diskFull(let path, let needed):
            let need = needed.map { ", about \(megabytes($0)) needed" } ?? ""
            return "\(path): the disk is full\(need); free some space or choose another folder with --to, then run again"
        case .io(let path, let reason): return "\(path): \(reason)"
        case .badArchive(let path, let reason): return "\(path): \(reason)"
        case .badURL(let url): return "'\(url)' is not an http:// or https:// URL"
        case .tooLarge(let url, let limit): return "\(url): larger than \(megabytes(Int64(limit))), not downloaded"
        }
    }
}

/// `12.3 MB` (decimal megabytes, as download sizes are usually given).
public func megabytes(_ bytes: Int64) -> String {
    let mb = Double(bytes) / 1e6
    if mb >= 1000 { return String(format: "%.2f GB", mb / 1000) }
    return String(format: mb >= 10 ? "%.0f MB" : "%.1f MB", mb)
}

func formatSeconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : "\(s) s" }
