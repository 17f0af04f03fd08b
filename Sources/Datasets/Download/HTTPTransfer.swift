import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP(S) GET through the toolchain's URLSession, run to its end on the calling
/// thread: the response head goes to `onHead`, the body to `onData` as it arrives (on
/// the session's queue, in order); the caller polls `progress` while it waits.
final class HTTPTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// What came back: the status and headers, then the outcome.
    struct Head: Sendable {
        var status: Int
        var contentLength: Int64?
        /// `Content-Range: bytes START-END/TOTAL`, parsed.
        var rangeStart: Int64?
        var rangeTotal: Int64?
    }

    enum Outcome: Sendable {
        case finished
        case timedOut
        case failed(String)
        /// `onHead` or `onData` returned an error and the transfer was cancelled.
        case stopped(DownloadError)
    }

    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var received: Int64 = 0
    private var head: Head?
    private var stopReason: DownloadError?
    private var outcome: Outcome?
    private let onHead: (Head) -> DownloadError?
    private let onData: (Data) -> DownloadError?

    private init(onHead: @escaping (Head) -> DownloadError?, onData: @escaping (Data) -> DownloadError?) {
        self.onHead = onHead
        self.onData = onData
    }

    /// Runs a GET of `url` with the extra `headers`, aborting when no byte arrives for `timeout`
    /// seconds. `poll(received)` is called on the calling thread every 0.2 s and at the end.
    static func run(url: URL, headers: [String: String], timeout: Double,
                    onHead: @escaping (Head) -> DownloadError?, onData: @escaping (Data) -> DownloadError?,
                    poll: (Int64) -> Void = { _ in }) -> (Head?, Outcome) {
        let transfer = HTTPTransfer(onHead: onHead, onData: onData)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = 14 * 86400
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.setValue("herd (CycleGAN trainer)", forHTTPHeaderField: "User-Agent")
        let task = session.dataTask(with: request)
        task.resume()
        while transfer.done.wait(timeout: .now() + 0.2) == .timedOut {
            poll(transfer.lock.withLock { transfer.received })
        }
        let (received, head, outcome) = transfer.lock.withLock { (transfer.received, transfer.head, transfer.outcome) }
        poll(received)
        return (head, outcome ?? .failed("no outcome"))
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let http = response as? HTTPURLResponse
        var head = Head(status: http?.statusCode ?? 0,
                        contentLength: response.expectedContentLength >= 0 ? response.expectedContentLength : nil)
        if let range = http?.value(forHTTPHeaderField: "Content-Range") {
            // bytes START-END/TOTAL
            let parts = range.split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "/" })
            if parts.count == 4, parts[0] == "bytes" {
                head.rangeStart = Int64(parts[1])
                head.rangeTotal = Int64(parts[3])
            }
        }
        let stop = onHead(head)
        lock.withLock {
            self.head = head
            stopReason = stop
        }
        completionHandler(stop == nil ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        if lock.withLock({ stopReason != nil }) { return }
        let stop = onData(data)
        lock.withLock {
            received += Int64(data.count)
            if stop != nil { stopReason = stop }
        }
        if stop != nil { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.withLock {
            if let stopReason {
                outcome = .stopped(stopReason)
            } else if let error = error as? URLError {
                outcome = error.code == .timedOut ? .timedOut : .failed(Self.describe(error))
            } else if let error {
                outcome = .failed("\(error)")
            } else {
                outcome = .finished
            }
        }
        done.signal()
    }

    static func describe(_ error: URLError) -> String {
        switch error.code {
        case .cannotConnectToHost: return "connection refused"
        case .cannotFindHost, .dnsLookupFailed: return "host not found"
        case .networkConnectionLost: return "connection lost"
        case .notConnectedToInternet: return "no network"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate:
            return "TLS failed (\(error.localizedDescription))"
        default:
            let text = (error.userInfo[NSLocalizedDescriptionKey] as? String) ?? error.localizedDescription
            return text.isEmpty ? "URL error \(error.code.rawValue)" : text
        }
    }
}
