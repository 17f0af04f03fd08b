import Foundation
import Imaging

/// Downloads the PubFig images of some people from a `dev_urls.txt` / `eval_urls.txt` list
/// into one folder as `<Person_Name>_<imagenum>.<ext>` (where `herd data selfie2cage` looks),
/// with bounded parallelism, a timeout and retries per request, and each file's MD5 checked
/// against the list. Only verified files are kept, so a rerun fetches only what is missing.
public enum PubFigFetch {
    public struct Options: Sendable {
        public var urls: String
        public var people: [String]
        public var output: String
        /// Requests in flight at once.
        public var jobs = 8
        /// Seconds without a byte before a request is abandoned.
        public var timeout: Double = 15
        /// Tries per image (the first one included).
        public var attempts = 3
        /// Seconds before the first retry, doubled for each further one.
        public var retryDelay: Double = 0.5
        /// Rows whose face rectangle's longer side is under this are not fetched (selfie2cage rejects them).
        public var minFace = 96
        /// Responses larger than this are abandoned.
        public var maxBytes = 20_000_000

        public init(urls: String, people: [String], output: String) {
            self.urls = urls
            self.people = people
            self.output = output
        }
    }

    public struct Report: Sendable {
        public var listed = 0
        /// Verified files that were already in the folder.
        public var alreadyThere = 0
        public var fetched = 0
        /// 404s, refused connections, unknown hosts, timeouts after every retry.
        public var dead = 0
        /// The server sent something whose MD5 is not the listed one (often a placeholder image).
        public var wrongContent = 0
        /// Faces under `minFace`, not fetched.
        public var tooSmall = 0
        /// Verified images per person (already there + fetched).
        public var usable: [String: Int] = [:]
        /// One line per image that failed.
        public var notes: [String] = []

        public var text: String {
            "\(listed) listed: \(fetched) fetched, \(alreadyThere) already there, \(dead) dead, "
                + "\(wrongContent) wrong content (MD5 differs), \(tooSmall) too small (face under the minimum, skipped)"
        }
    }

    /// The file name selfie2cage looks for: `<Person_Name>_<imagenum>.<ext>`.
    public static func fileName(_ row: PubFigURLs.Row) -> String {
        let person = row.person.split(separator: " ").joined(separator: "_")
        let ext = (URL(string: row.url)?.pathExtension.lowercased()).flatMap {
            ["jpg", "jpeg", "png", "gif"].contains($0) ? $0 : nil
        } ?? "jpg"
        return "\(person)_\(row.imageNumber).\(ext)"
    }

    /// Fetches every listed image of `options.people`; `progress(done, total)` runs on the calling thread.
    public static func run(_ options: Options, progress: (_ done: Int, _ total: Int) -> Void = { _, _ in })
        throws(DatasetError) -> Report
    {
        let text = String(decoding: try FileIO.read(options.urls), as: UTF8.self)
        let all = try PubFigURLs(text: text, file: options.urls).rows
        var report = Report()
        var rows: [PubFigURLs.Row] = []
        for person in options.people {
            let theirs = all.filter { PubFigURLs.samePerson($0.person, person) }
            if theirs.isEmpty {
                throw .invalidArgument("\(options.urls) lists no images of '\(person)' (PubFig splits people between "
                    + "dev_urls.txt and eval_urls.txt)")
            }
            report.usable[theirs[0].person] = 0
            rows += theirs
        }
        report.listed = rows.count
        try FileIO.createDirectory(options.output)
        var pending: [PubFigURLs.Row] = []
        for row in rows {
            if max(row.faceWidth, row.faceHeight) < options.minFace {
                report.tooSmall += 1
                continue
            }
            let path = FileIO.join(options.output, fileName(row))
            if let bytes = FileManager.default.contents(atPath: path), MD5.hex([UInt8](bytes)) == row.md5 {
                report.alreadyThere += 1
                report.usable[row.person, default: 0] += 1
            } else {
                pending.append(row)
            }
        }
        let results = fetchAll(pending, options: options, progress: progress)
        for (row, result) in zip(pending, results) {
            let label = "\(row.person) #\(row.imageNumber) (\(row.url))"
            switch result {
            case .fetched:
                report.fetched += 1
                report.usable[row.person, default: 0] += 1
            case .dead(let reason):
                report.dead += 1
                report.notes.append("\(label): \(reason)")
            case .wrongContent(let md5):
                report.wrongContent += 1
                report.notes.append("\(label): MD5 \(md5), listed \(row.md5)")
            case .notSaved(let reason):
                throw .io(path: FileIO.join(options.output, fileName(row)), reason: reason)
            }
        }
        return report
    }

    enum Result: Sendable {
        case fetched, dead(String), wrongContent(String), notSaved(String)
    }

    /// Runs the fetches on `jobs` threads; results in `rows` order.
    static func fetchAll(_ rows: [PubFigURLs.Row], options: Options, progress: (Int, Int) -> Void) -> [Result] {
        let state = FetchState(count: rows.count)
        let group = DispatchGroup()
        for _ in 0..<max(1, min(options.jobs, rows.count)) {
            DispatchQueue.global().async(group: group) {
                while let i = state.next() {
                    state.finish(i, fetchOne(rows[i], options: options))
                }
            }
        }
        while group.wait(timeout: .now() + 0.2) == .timedOut { progress(state.done, rows.count) }
        progress(rows.count, rows.count)
        return state.results
    }

    static func fetchOne(_ row: PubFigURLs.Row, options: Options) -> Result {
        guard let url = URL(string: row.url), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            return .dead("not an http(s) URL")
        }
        var delay = options.retryDelay
        var last = ""
        for attempt in 1...max(1, options.attempts) {
            let body = Body(limit: options.maxBytes, url: row.url)
            let (head, outcome) = HTTPTransfer.run(
                url: url, headers: [:], timeout: options.timeout,
                onHead: { head in head.status == 200 ? nil : .httpStatus(url: row.url, status: head.status) },
                onData: { body.append($0) })
            switch outcome {
            case .finished where head?.status == 200:
                let bytes = body.bytes
                let md5 = MD5.hex(bytes)
                guard md5 == row.md5 else { return .wrongContent(md5) }
                do throws(DatasetError) {
                    try FileIO.write(bytes, to: FileIO.join(options.output, fileName(row)))
                } catch {
                    return .notSaved("\(error)")
                }
                return .fetched
            case .finished: last = "HTTP \(head?.status ?? 0)"
            case .stopped(.httpStatus(_, let status)):
                if status < 500 { return .dead("HTTP \(status)") }
                last = "HTTP \(status)"
            case .stopped(let error): return .dead("\(error)")
            case .timedOut: last = "no data for \(formatSeconds(options.timeout))"
            case .failed(let reason):
                last = reason
                // A name that does not resolve will not resolve on a retry either.
                if reason == "host not found" { return .dead(reason) }
            }
            if attempt < options.attempts {
                Thread.sleep(forTimeInterval: delay)
                delay *= 2
            }
        }
        return .dead("\(last) (\(options.attempts) attempts)")
    }
}

/// The work queue and results of `fetchAll`, shared by its threads.
private final class FetchState: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private var finished = 0
    private var slots: [PubFigFetch.Result?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func next() -> Int? {
        lock.withLock {
            guard nextIndex < slots.count else { return nil }
            defer { nextIndex += 1 }
            return nextIndex
        }
    }

    func finish(_ i: Int, _ result: PubFigFetch.Result) {
        lock.withLock {
            slots[i] = result
            finished += 1
        }
    }

    var done: Int { lock.withLock { finished } }
    var results: [PubFigFetch.Result] { lock.withLock { slots.map { $0 ?? .dead("not attempted") } } }
}

/// A response body collected in memory, up to a limit.
private final class Body: @unchecked Sendable {
    private let lock = NSLock()
    private var data: [UInt8] = []
    private let limit: Int
    private let url: String

    init(limit: Int, url: String) {
        self.limit = limit
        self.url = url
    }

    func append(_ piece: Data) -> DownloadError? {
        lock.withLock {
            if data.count + piece.count > limit { return .tooLarge(url: url, limit: limit) }
            data += piece
            return nil
        }
    }

    var bytes: [UInt8] { lock.withLock { data } }
}
