import Dispatch
import Foundation
import Hashing
import Locking

/// A named list of float32 tensors in the `cyclegan-parity-1` format: a
/// directory with `manifest.json` (`format`, free-form metadata such as
/// `config`, and `tensors`: `{name, shape, offset, sha256}` with offsets counted in
/// floats and the SHA-256 of the tensor's bytes) and one raw little-endian float32
/// file (`tensors.f32`). Archives Herd writes also hold `manifest.sha256`, the
/// SHA-256 of `manifest.json`; reading checks every checksum present.
///
/// Parity fixtures, parity outputs and checkpoints all use it.
public struct TensorArchive: Sendable {
    /// One stored tensor.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
    }

    /// The format tag written to and expected in `manifest.json`.
    public static let format = "cyclegan-parity-1"
    /// The data file's name.
    public static let dataFileName = "tensors.f32"
    /// The file holding the SHA-256 of `manifest.json` (hex and a newline).
    public static let manifestChecksumFileName = "manifest.sha256"

    /// Whether every tensor and the manifest carried a SHA-256 that matched when read
    /// (false for archives built in memory and for archives written by other tools).
    public private(set) var isChecksummed = false

    /// Every manifest key except `tensors`, `data` and `format` (e.g. `config`).
    public var metadata: [String: JSONValue]
    /// The tensors in the order they were added or stored.
    public private(set) var entries: [Entry] = []
    private var positions: [String: Int] = [:]

    public init(metadata: [String: JSONValue] = [:]) {
        self.metadata = metadata
    }

    /// Appends a tensor. Throws ``ArchiveError/countMismatch(name:shape:count:)`` when
    /// `values` does not fill `shape` and ``ArchiveError/duplicateTensor(name:)``
    /// when the name is taken.
    public mutating func append(name: String, shape: [Int], values: [Float]) throws(ArchiveError) {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
            throw .countMismatch(name: name, shape: shape, count: values.count)
        }
        guard positions[name] == nil else { throw .duplicateTensor(name: name) }
        positions[name] = entries.count
        entries.append(Entry(name: name, shape: shape, values: values))
    }

    /// The tensor named `name`, if present.
    public subscript(name: String) -> Entry? {
        positions[name].map { entries[$0] }
    }

    /// Names of all tensors, in order.
    public var names: [String] { entries.map(\.name) }

    /// The values of `name`, checking the shape when `shape` is given.
    /// `path` only names the archive in errors.
    public func values(_ name: String, shape: [Int]? = nil, path: String = "archive") throws(ArchiveError) -> [Float] {
        guard let entry = self[name] else { throw .missingTensor(path: path, name: name) }
        if let shape, shape != entry.shape {
            throw .shapeMismatch(path: path, name: name, expected: shape, found: entry.shape)
        }
        return entry.values
    }
}

extension TensorArchive {
    /// Reads the archive in `directory`. Throws ``ArchiveError`` naming the file
    /// and the field when the manifest is malformed or a tensor lies outside the data.
    public static func read(directory: String) throws(ArchiveError) -> TensorArchive {
        let manifestPath = directory + "/manifest.json"
        let manifestBytes: Data
        do {
            manifestBytes = try Data(contentsOf: URL(fileURLWithPath: manifestPath))
        } catch {
            throw .io(path: manifestPath, reason: "cannot read: \(error.localizedDescription)")
        }
        let manifestChecked = try checkManifestChecksum(manifestBytes, directory: directory)
        let manifest: JSONValue
        do {
            manifest = try JSONDecoder().decode(JSONValue.self, from: manifestBytes)
        } catch {
            throw .badManifest(path: manifestPath, reason: "not JSON (\(error.localizedDescription))")
        }
        guard case .object(var members) = manifest else {
            throw .badManifest(path: manifestPath, reason: "the top level is not an object")
        }
        if let format = members["format"], format.stringValue != TensorArchive.format {
            throw .badManifest(path: manifestPath, reason: "format is \(format), expected \"\(TensorArchive.format)\"")
        }
        let dataName = members["data"]?.stringValue ?? TensorArchive.dataFileName
        guard !dataName.contains("/"), !dataName.isEmpty else {
            throw .badManifest(path: manifestPath, reason: "data file name '\(dataName)' must be a plain file name")
        }
        guard let list = members["tensors"]?.arrayValue else {
            throw .badManifest(path: manifestPath, reason: "missing the 'tensors' list")
        }
        let dataPath = directory + "/" + dataName
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: dataPath), options: .alwaysMapped)
        } catch {
            throw .io(path: dataPath, reason: "cannot read: \(error.localizedDescription)")
        }
        guard data.count % 4 == 0 else {
            throw .badManifest(path: dataPath, reason: "size \(data.count) bytes is not a multiple of 4")
        }
        let available = data.count / 4
        members["tensors"] = nil
        members["data"] = nil
        members["format"] = nil
        var archive = TensorArchive(metadata: members)
        var listed: [(name: String, shape: [Int], offset: Int, count: Int, digest: [UInt8]?)] = []
        for (position, item) in list.enumerated() {
            guard let name = item["name"]?.stringValue else {
                throw .badManifest(path: manifestPath, reason: "tensors[\(position)] has no string 'name'")
            }
            guard let shapeList = item["shape"]?.arrayValue else {
                throw .badManifest(path: manifestPath, reason: "tensor '\(name)' has no 'shape' list")
            }
            var shape: [Int] = []
            for dim in shapeList {
                guard let value = dim.intValue, value >= 0, value < 1 << 40 else {
                    throw .badManifest(path: manifestPath, reason: "tensor '\(name)' has an invalid dimension \(dim)")
                }
                shape.append(value)
            }
            guard let offset = item["offset"]?.intValue, offset >= 0 else {
                throw .badManifest(path: manifestPath, reason: "tensor '\(name)' has no non-negative integer 'offset'")
            }
            let (count, overflow) = shape.reduce((1, false)) { partial, dim in
                let product = partial.0.multipliedReportingOverflow(by: dim)
                return (product.partialValue, partial.1 || product.overflow)
            }
            guard !overflow, offset <= available, count <= available - offset else {
                throw .tensorOutOfRange(path: dataPath, name: name, offset: offset, count: overflow ? Int.max - offset : count,
                                        available: available)
            }
            var digest: [UInt8]?
            if let hex = item["sha256"] {
                guard let text = hex.stringValue, let bytes = Self.bytes(hex: text), bytes.count == SHA256.digestCount else {
                    throw .badManifest(path: manifestPath, reason: "tensor '\(name)' has a 'sha256' that is not 64 hexadecimal digits")
                }
                digest = bytes
            }
            listed.append((name, shape, offset, count, digest))
        }
        let located = listed
        // Hash the tensors on all cores; report the first damaged one in manifest order.
        let damaged = data.withUnsafeBytes { whole -> Int? in
            // Read-only for the duration of concurrentPerform, which returns before `whole` ends.
            nonisolated(unsafe) let raw = whole
            let failures = Locked<[Int]>([])
            DispatchQueue.concurrentPerform(iterations: located.count) { index in
                let entry = located[index]
                guard let digest = entry.digest else { return }
                let bytes = UnsafeRawBufferPointer(rebasing: raw[(entry.offset * 4) ..< ((entry.offset + entry.count) * 4)])
                if SHA256.hash(bytes) != digest { failures.withLock { $0.append(index) } }
            }
            return failures.withLock { $0.min() }
        }
        if let damaged { throw .checksumMismatch(path: dataPath, name: located[damaged].name) }
        for entry in located {
            let values = data.withUnsafeBytes { raw -> [Float] in
                [Float](unsafeUninitializedCapacity: entry.count) { buffer, initialized in
                    for i in 0..<entry.count {
                        let bits = raw.loadUnaligned(fromByteOffset: (entry.offset + i) * 4, as: UInt32.self)
                        buffer[i] = Float(bitPattern: UInt32(littleEndian: bits))
                    }
                    initialized = entry.count
                }
            }
            do {
                try archive.append(name: entry.name, shape: entry.shape, values: values)
            } catch {
                throw .badManifest(path: manifestPath, reason: error.description)
            }
        }
        let tensorsChecked = located.filter { $0.digest != nil }.count
        // All or nothing: an archive from another tool (or from before checksums) has none, one
        // Herd wrote has all; a mix means a checksum was removed along with whatever it guarded.
        guard (manifestChecked && tensorsChecked == located.count) || (!manifestChecked && tensorsChecked == 0) else {
            throw .badManifest(path: manifestPath, reason: "carries SHA-256 checksums for only part of the checkpoint ("
                               + (manifestChecked ? "" : "no \(manifestChecksumFileName), ")
                               + "\(tensorsChecked) of \(located.count) tensors): it was altered")
        }
        archive.isChecksummed = manifestChecked
        return archive
    }

    /// Checks `manifest.json`'s bytes against `manifest.sha256` when that file exists.
    /// Returns whether it existed (and matched).
    static func checkManifestChecksum(_ manifest: Data, directory: String) throws(ArchiveError) -> Bool {
        let path = directory + "/" + manifestChecksumFileName
        guard FileManager.default.fileExists(atPath: path) else { return false }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .io(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        guard let expected = bytes(hex: text.trimmingCharacters(in: .whitespacesAndNewlines)), expected.count == SHA256.digestCount else {
            throw .badManifest(path: path, reason: "is not a SHA-256 (64 hexadecimal digits)")
        }
        guard SHA256.hash(manifest) == expected else {
            throw .checksumMismatch(path: directory + "/manifest.json", name: "manifest.json")
        }
        return true
    }

    /// The bytes of an even-length hexadecimal string, or nil.
    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        for pair in stride(from: 0, to: digits.count, by: 2) {
            guard let high = nibble(digits[pair]), let low = nibble(digits[pair + 1]) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Writes `manifest.json` and `tensors.f32` into `directory` (created if
    /// needed), each file flushed to disk with `fsync` before returning.
    public func write(directory: String) throws(ArchiveError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .io(path: directory, reason: "cannot create directory: \(error.localizedDescription)")
        }
        let digests = tensorDigests()
        var list: [JSONValue] = []
        var offset = 0
        for (entry, digest) in zip(entries, digests) {
            list.append(.object([
                "name": .string(entry.name),
                "shape": .array(entry.shape.map { .int($0) }),
                "offset": .int(offset),
                "sha256": .string(digest.hexString),
            ]))
            offset += entry.values.count
        }
        var members = metadata
        members["format"] = .string(TensorArchive.format)
        members["data"] = .string(TensorArchive.dataFileName)
        members["tensors"] = .array(list)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let manifestBytes: Data
        do {
            manifestBytes = try encoder.encode(JSONValue.object(members))
        } catch {
            throw .badManifest(path: directory + "/manifest.json", reason: "cannot encode: \(error.localizedDescription)")
        }
        let dataFile = try DurableFile(path: directory + "/" + TensorArchive.dataFileName)
        for entry in entries {
            try dataFile.write(entry.values)
        }
        try dataFile.finish()
        let manifestFile = try DurableFile(path: directory + "/manifest.json")
        try manifestFile.write([UInt8](manifestBytes))
        try manifestFile.finish()
        let checksumFile = try DurableFile(path: directory + "/" + TensorArchive.manifestChecksumFileName)
        try checksumFile.write(Array((SHA256.hash(manifestBytes).hexString + "\n").utf8))
        try checksumFile.finish()
    }

    /// The SHA-256 of each tensor's little-endian float32 bytes (as written), computed on all cores.
    func tensorDigests() -> [[UInt8]] {
        let digests = Locked([[UInt8]](repeating: [], count: entries.count))
        DispatchQueue.concurrentPerform(iterations: entries.count) { index in
            #if _endian(big)
            let bytes = entries[index].values.map { $0.bitPattern.littleEndian }
            #else
            let bytes = entries[index].values
            #endif
            let digest = bytes.withUnsafeBytes { SHA256.hash($0) }
            digests.withLock { $0[index] = digest }
        }
        return digests.withLock { $0 }
    }

}
