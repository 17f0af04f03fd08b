import Foundation
import Imaging
#if canImport(Glibc)
import Glibc
#endif

/// Unpacks a downloaded zip or tar.gz with our own inflate into `ROOT/NAME`: files go to a
/// hidden staging folder first, which is renamed into place only when every entry was
/// checked (CRC-32 and sizes), so a damaged archive never leaves a half-filled data set.
/// An archive whose entries share one top folder (`horse2zebra/trainA/...`) loses that level.
public enum ArchiveUnpacker {
    /// Unpacks `archive` into `root/name`, which must not exist yet.
    /// - Parameter progress: files written so far and the total (0 when not known in advance).
    /// - Returns: the folder written.
    public static func unpack(_ archive: String, kind: DatasetSource.Archive, root: String, name: String,
                              freeSpace: (String) -> Int64? = FileDownload.freeSpace,
                              progress: (_ files: Int, _ total: Int) -> Void = { _, _ in }) throws(DownloadError) -> String {
        let destination = FileIO.join(root, name)
        let staging = FileIO.join(root, "." + name + ".unpacking")
        try? FileManager.default.removeItem(atPath: staging)
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: archive), options: .alwaysMapped)
        } catch {
            throw .io(path: archive, reason: "cannot read the archive (\(error.localizedDescription))")
        }
        var writer = StagingWriter(root: staging, archive: archive)
        do throws(DownloadError) {
            let outcome: Result<Void, DownloadError> = data.withUnsafeBytes { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                do throws(DownloadError) {
                    if let problem = signatureProblem(bytes, kind: kind) { throw .badArchive(path: archive, reason: problem) }
                    switch kind {
                    case .zip: try unzip(bytes, archive: archive, into: &writer, freeSpace: freeSpace, progress: progress)
                    case .tarGz: try untar(bytes, archive: archive, into: &writer, progress: progress)
                    }
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            try outcome.get()
            if writer.count == 0 { throw DownloadError.badArchive(path: archive, reason: "the archive holds no files") }
            let top = writer.commonTop.map { FileIO.join(staging, $0) } ?? staging
            if rename(top, destination) != 0 {
                throw DownloadError.io(path: destination, reason: "cannot move the unpacked files here: "
                    + String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
        try? FileManager.default.removeItem(atPath: staging)
        return destination
    }

    static func unzip(_ bytes: UnsafeBufferPointer<UInt8>, archive: String, into writer: inout StagingWriter,
                      freeSpace: (String) -> Int64?, progress: (Int, Int) -> Void) throws(DownloadError) {
        let zip: ZipArchive
        do { zip = try ZipArchive(bytes) } catch { throw .badArchive(path: archive, reason: describe(error)) }
        let files = zip.entries.filter { !$0.isDirectory }
        let needed = files.reduce(Int64(0)) { $0 + Int64($1.size) }
        let parent = (writer.root as NSString).deletingLastPathComponent
        if let free = freeSpace(parent), free < needed {
            throw .diskFull(path: parent, needed: needed)
        }
        for (i, entry) in files.enumerated() {
            let content: [UInt8]
            do { content = try zip.extract(entry) } catch { throw .badArchive(path: archive, reason: describe(error)) }
            try writer.write(entry.path, content)
            progress(i + 1, files.count)
        }
    }

    static func untar(_ bytes: UnsafeBufferPointer<UInt8>, archive: String, into writer: inout StagingWriter,
                      progress: (Int, Int) -> Void) throws(DownloadError) {
        // The sink cannot throw through the inflater: it records the error and stops.
        var failure: DownloadError?
        var staged = writer
        var tar = TarReader(archive: archive) { path, content throws(DownloadError) in
            try staged.write(path, content)
        }
        do {
            try withoutActuallyEscaping(progress) { progress in
                try Gzip.decompress(bytes) { piece in
                    do throws(DownloadError) {
                        try tar.feed(piece)
                        progress(staged.count, 0)
                        return true
                    } catch {
                        failure = error
                        return false
                    }
                }
            }
        } catch let error as ArchiveFormatError {
            if let failure { throw failure }
            throw .badArchive(path: archive, reason: describe(error))
        } catch {
            throw .badArchive(path: archive, reason: "\(error)")
        }
        try tar.finish()
        writer = staged
    }

    /// Why `bytes` cannot be an archive of `kind` from its first bytes (nil when they fit): a
    /// server that answers with an HTML page or another file is not a download cut short (an
    /// empty file or the first bytes of a real archive fit: those are reported as truncated).
    static func signatureProblem(_ bytes: UnsafeBufferPointer<UInt8>, kind: DatasetSource.Archive) -> String? {
        let start = Array(bytes.prefix(4))
        let (fits, format): (Bool, String) = switch kind {
        case .zip: ([0x50, 0x4B, 0x03, 0x04].starts(with: start) || [0x50, 0x4B, 0x05, 0x06].starts(with: start), "zip")
        case .tarGz: ([0x1F, 0x8B].starts(with: start.prefix(2)), "gzip (.tar.gz)")
        }
        guard !fits else { return nil }
        let printable = bytes.prefix(24).map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "." }.joined()
        return "this is not a \(format) archive: it starts with \"\(printable)\" (the server sent something else, "
            + "such as an error page); check the URL (--url), delete the file and run again"
    }

    static func describe(_ error: ArchiveFormatError) -> String {
        switch error.kind {
        case .truncated: return "the archive is truncated (\(error)); the download was cut short: delete it and run again"
        case .corrupt: return "the archive is damaged (\(error)); delete it and run again"
        case .unsupported, .stopped: return "\(error)"
        }
    }
}

/// Writes unpacked files below a staging root, refusing paths that would escape it.
struct StagingWriter {
    let root: String
    let archive: String
    private(set) var count = 0
    /// The first path component, while every file so far shared it.
    private(set) var commonTop: String?
    private var first = true
    private var folders: Set<String> = []

    init(root: String, archive: String) {
        self.root = root
        self.archive = archive
    }

    mutating func write(_ path: String, _ content: [UInt8]) throws(DownloadError) {
        let parts = path.split(separator: "/").filter { $0 != "." }
        if path.hasPrefix("/") || parts.contains("..") || parts.isEmpty {
            throw .badArchive(path: archive, reason: "entry '\(path)' would be written outside the data set folder")
        }
        // Resource forks and Finder files that macOS zips carry along.
        if parts.first == "__MACOSX" || parts.last?.hasPrefix("._") == true || parts.last == ".DS_Store" { return }
        let top = String(parts[0])
        if first {
            commonTop = parts.count > 1 ? top : nil
            first = false
        } else if commonTop != top || parts.count == 1 {
            commonTop = nil
        }
        let file = parts.joined(separator: "/")
        let folder = (FileIO.join(root, file) as NSString).deletingLastPathComponent
        if !folders.contains(folder) {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw .io(path: folder, reason: "cannot create the folder (\(error.localizedDescription))")
            }
            folders.insert(folder)
        }
        try Self.writeFile(FileIO.join(root, file), content)
        count += 1
    }

    /// Writes with POSIX calls so that a full disk is told apart from other failures.
    static func writeFile(_ path: String, _ content: [UInt8]) throws(DownloadError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { throw .io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let error = content.withUnsafeBytes { writeAll(fd, $0) }
        if let error {
            if error == ENOSPC || error == EDQUOT { throw .diskFull(path: path, needed: nil) }
            throw .io(path: path, reason: "write failed: " + String(cString: strerror(error)))
        }
    }
}
