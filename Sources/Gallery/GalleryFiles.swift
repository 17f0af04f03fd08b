import Foundation
import Glibc

/// The file-system calls the gallery makes, behind a seam so that tests can count
/// directory listings (the dashboard and the epoch-end work must not list `val/`
/// per request or per epoch).
public protocol GalleryFiles: Sendable {
    /// The names in a directory, or nil when it cannot be listed.
    func list(_ directory: String) -> [String]?
    /// Whether `path` is (itself, not through a symbolic link) a directory / a regular file.
    func isDirectory(_ path: String) -> Bool
    func isRegularFile(_ path: String) -> Bool
}

/// The real file system.
public struct LocalGalleryFiles: GalleryFiles {
    public init() {}
    public func list(_ directory: String) -> [String]? { try? FileManager.default.contentsOfDirectory(atPath: directory) }
    public func isDirectory(_ path: String) -> Bool { Self.isKind(path, S_IFDIR) }
    public func isRegularFile(_ path: String) -> Bool { Self.isKind(path, S_IFREG) }

    static func isKind(_ path: String, _ kind: mode_t) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == kind
    }
}
