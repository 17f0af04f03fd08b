/// Reads a tar stream (POSIX ustar, GNU long names, pax path records) fed in pieces of any
/// size, handing each regular file to `onFile` whole. Header checksums are verified.
struct TarReader {
    /// Largest single file accepted (a damaged size field must not exhaust memory).
    static let maxFileSize = 1 << 30

    private var pending: [UInt8] = []
    private var file: (path: String, size: Int, data: [UInt8], padding: Int)?
    private var skip = 0
    private var longName: String?
    private var position = 0
    private var zeroBlocks = 0
    /// True once the two zero blocks that end the archive were read.
    private(set) var finished = false
    private let onFile: (String, [UInt8]) throws(DownloadError) -> Void
    private let archive: String

    init(archive: String, onFile: @escaping (String, [UInt8]) throws(DownloadError) -> Void) {
        self.archive = archive
        self.onFile = onFile
    }

    mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>) throws(DownloadError) {
        var i = 0
        while i < bytes.count && !finished {
            if skip > 0 {
                let n = min(skip, bytes.count - i)
                skip -= n
                i += n
                position += n
                continue
            }
            if var current = file {
                let n = min(current.size - current.data.count, bytes.count - i)
                current.data.append(contentsOf: bytes[i..<(i + n)])
                i += n
                position += n
                if current.data.count == current.size {
                    file = nil
                    skip = current.padding
                    if current.path == Self.gnuLongName {
                        longName = text(current.data[...])
                    } else if current.path == Self.paxHeader {
                        longName = Self.paxPath(current.data) ?? longName
                    } else {
                        try onFile(current.path, current.data)
                    }
                } else {
                    file = current
                }
                continue
            }
            let n = min(512 - pending.count, bytes.count - i)
            pending.append(contentsOf: bytes[i..<(i + n)])
            i += n
            position += n
            if pending.count == 512 {
                let block = pending
                pending.removeAll(keepingCapacity: true)
                try header(block)
            }
        }
    }

    /// Throws unless the stream ended cleanly (at the end-of-archive blocks or a file boundary).
    func finish() throws(DownloadError) {
        if file != nil || !pending.isEmpty || skip > 0 {
            throw .badArchive(path: archive, reason: "the tar data stops in the middle of a file (byte \(position)); "
                + "the archive is truncated")
        }
    }

    private mutating func header(_ block: [UInt8]) throws(DownloadError) {
        if block.allSatisfy({ $0 == 0 }) {
            zeroBlocks += 1
            if zeroBlocks == 2 { finished = true }
            return
        }
        zeroBlocks = 0
        let start = position - 512
        let stored = octal(block[148..<156])
        var sum = 0
        for (k, b) in block.enumerated() { sum += (148..<156).contains(k) ? 32 : Int(b) }
        guard let stored, stored == sum else {
            throw .badArchive(path: archive, reason: "tar header at byte \(start) has a wrong checksum; the archive is corrupt")
        }
        guard let size = octal(block[124..<136]), size <= Self.maxFileSize else {
            throw .badArchive(path: archive, reason: "tar header at byte \(start) has a bad size field")
        }
        let padding = (512 - size % 512) % 512
        var path = text(block[0..<100])
        let magic = text(block[257..<263])
        if magic.hasPrefix("ustar") {
            let prefix = text(block[345..<500])
            if !prefix.isEmpty && magic == "ustar" { path = prefix + "/" + path }
        }
        if let longName {
            path = longName
            self.longName = nil
        }
        switch block[156] {
        case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
            if size == 0 { try onFile(path, []) } else { file = (path, size, [], padding) }
        case UInt8(ascii: "L"), UInt8(ascii: "x"):
            // GNU long name or pax record: read the data, then apply it to the next header.
            let kind = block[156] == UInt8(ascii: "L") ? Self.gnuLongName : Self.paxHeader
            if size == 0 { skip = padding } else { file = (kind, size, [], padding) }
        default:
            skip = size + padding  // directories, links, devices, global pax headers: nothing to write
        }
    }

    private static let gnuLongName = "\u{0}L", paxHeader = "\u{0}x"

    /// The `path=` record of a pax extended header (`LEN path=VALUE\n` records).
    static func paxPath(_ data: [UInt8]) -> String? {
        for record in data.split(separator: UInt8(ascii: "\n")) {
            guard let space = record.firstIndex(of: UInt8(ascii: " ")) else { continue }
            let field = String(decoding: record[(space + 1)...], as: UTF8.self)
            if field.hasPrefix("path=") { return String(field.dropFirst(5)) }
        }
        return nil
    }

    private func octal(_ field: ArraySlice<UInt8>) -> Int? {
        let digits = field.drop(while: { $0 == 32 }).prefix(while: { $0 >= 48 && $0 <= 55 })
        if digits.isEmpty { return field.allSatisfy({ $0 == 0 || $0 == 32 }) ? 0 : nil }
        return digits.reduce(0) { $0 * 8 + Int($1 - 48) }
    }

    private func text(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}
