import Foundation
import Gallery
import Glibc
import Imaging
import Locking

/// The live dashboard of one run: holds (or is given) the run's status, renders
/// the page and serves its routes.
///
/// Routes (GET and HEAD only; other methods get 405):
/// - `/` — the page: progress, loss curves (SVG), workers, validation gallery,
///   events, settings; it refreshes itself by polling `/api/status`.
/// - `/api/status` — `DashboardStatus` as JSON.
/// - `/val/epoch_NNN/NAME.png` — a validation image from `valDirectory`; only
///   names matching that pattern, regular files (no symbolic links) and real
///   PNGs are served, everything else is 404.
/// - `/health` — `ok`.
///
/// Security: the dashboard is read-only and unauthenticated, so `start` binds
/// loopback addresses only unless `allowNonLoopback` is set, which callers set
/// only when the user wrote `dashboard.listen` explicitly (`RunConfig`'s default
/// is `127.0.0.1:8080`).
public final class Dashboard: Sendable {
    /// Directory of the run's validation images (`epoch_NNN/*.png`), or nil for none.
    public let valDirectory: String?
    private let owned: Locked<DashboardStatus>
    private let provider: (@Sendable () -> DashboardStatus)?
    /// The gallery, read from `valDirectory` once (at the first request), then kept up to
    /// date by `recordValidationEpoch`: requests never list the val directory.
    private let gallery = Locked<ValidationGallery?>(nil)
    private let files: any GalleryFiles

    /// PNG files larger than this are not served.
    public static let maxImageBytes = 32 << 20

    /// A dashboard that owns its status; change it with `update(_:)`.
    public init(status: DashboardStatus = DashboardStatus(), valDirectory: String? = nil, files: any GalleryFiles = LocalGalleryFiles()) {
        self.valDirectory = valDirectory
        owned = Locked(status)
        provider = nil
        self.files = files
    }

    /// A dashboard that asks `provider` for the status on every request
    /// (concurrently, from server threads).
    public init(valDirectory: String? = nil, files: any GalleryFiles = LocalGalleryFiles(),
                provider: @escaping @Sendable () -> DashboardStatus) {
        self.valDirectory = valDirectory
        owned = Locked(DashboardStatus())
        self.provider = provider
        self.files = files
    }

    /// Changes the owned status under its lock and stamps `updatedAt`.
    /// (Without effect on what is shown when the dashboard has a provider.)
    public func update(_ body: (inout DashboardStatus) -> Void) {
        owned.withLock { status in
            body(&status)
            status.updatedAt = Date()
        }
    }

    /// The status shown now: the provider's or the owned one, with the gallery of
    /// `valDirectory` when there is one.
    public var status: DashboardStatus {
        var status = provider?() ?? owned.withLock { $0 }
        if let gallery = currentGallery() { status.gallery = gallery }
        return status
    }

    /// The in-memory gallery (read from disk at the first call only).
    private func currentGallery() -> ValidationGallery? {
        guard let valDirectory else { return nil }
        return gallery.withLock { gallery in
            if let gallery { return gallery }
            let scanned = ValidationGallery.scan(directory: valDirectory, files: files)
            gallery = scanned
            return scanned
        }
    }

    /// Tells the dashboard that `epoch`'s validation images were written: reads that one
    /// epoch directory (the work does not depend on how many epochs came before).
    public func recordValidationEpoch(_ epoch: Int) {
        guard let valDirectory, let read = ValidationGallery.readEpoch(epoch, in: valDirectory, files: files) else { return }
        gallery.withLock { gallery in
            guard gallery != nil else { return }   // not read yet: the first read will find it
            gallery?.record(read)
        }
    }

    /// The page as served at `/` (refreshing itself).
    public func pageHTML() -> String { DashboardPage(status: status, live: true).html() }

    /// A static copy of the page for saving to a file: no refresh script, image
    /// links relative (`val/epoch_NNN/NAME.png`), so save it in the directory
    /// that holds the val directory.
    public func snapshotHTML() -> String { DashboardPage(status: status, live: false).html() }

    /// The status as `/api/status` serves it.
    /// - Throws: `EncodingError` (not expected: non-finite numbers are encoded as strings).
    public func statusJSON() throws -> [UInt8] { try Self.encoder.encode(status).map { $0 } }

    /// Encodes dates as ISO 8601 and NaN/infinity as strings, so a diverging
    /// run's losses never break `/api/status`.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// The decoder matching `encoder`.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }

    /// Answers one request (the server's handler; also usable without sockets).
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            var response = HTTPResponse.error(405, "only GET and HEAD are supported")
            response.headers.append(HTTPHeader("Allow", "GET, HEAD"))
            return response
        }
        switch request.path {
        case "/", "/index.html":
            return .html(pageHTML())
        case "/api/status":
            do {
                return .json(try statusJSON())
            } catch {
                return .error(500, "cannot encode the status: \(error)")
            }
        case "/health":
            return .text("ok\n")
        default:
            if request.path.hasPrefix("/val/") { return validationImage(request.path) }
            return .error(404)
        }
    }

    /// Starts serving on `listen` (`HOST:PORT`; port 0 picks a free port, see
    /// `HTTPServer.port`). Returns nil when `listen` is empty (dashboard disabled).
    /// - Parameter allowNonLoopback: bind addresses other than 127.x/localhost/::1;
    ///   pass true only when the user configured the address explicitly.
    /// - Throws: `DashboardError` for a malformed or refused address or a bind failure.
    public func start(listen: String, allowNonLoopback: Bool = false,
                      limits: HTTPServer.Limits = HTTPServer.Limits()) throws(DashboardError) -> HTTPServer? {
        guard !listen.isEmpty else { return nil }
        let address: ListenAddress
        switch ListenAddress.parse(listen) {
        case .success(let parsed): address = parsed
        case .failure(let error): throw error
        }
        guard address.isLoopback || allowNonLoopback else { throw .nonLoopbackRefused(listen) }
        do {
            return try HTTPServer(host: address.host, port: address.port, limits: limits) { [self] in handle($0) }
        } catch {
            throw .server(error)
        }
    }

    /// `/val/epoch_NNN/NAME.png`, strictly.
    private func validationImage(_ path: String) -> HTTPResponse {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard let valDirectory, parts.count == 4, parts[0].isEmpty, parts[1] == "val",
              GalleryLayout.epochNumber(directoryName: String(parts[2])) != nil,
              GalleryLayout.isServableImageName(String(parts[3])) else {
            return .error(404)
        }
        let directory = valDirectory + "/" + parts[2]
        guard files.isDirectory(directory) else { return .error(404) }
        let fd = open(directory + "/" + parts[3], O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .error(404) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) <= Self.maxImageBytes else {
            return .error(404)
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return read(fd, base + filled, buffer.count - filled)
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            filled += n
        }
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard filled == bytes.count, bytes.starts(with: signature) else { return .error(404) }
        return .png(bytes)
    }
}
