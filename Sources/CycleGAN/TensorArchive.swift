import Foundation

/// A named list of float32 tensors in the `cyclegan-parity-1` format: a
/// directory with `manifest.json` (`format`, free-form metadata such as
/// `config`, and `tensors`: `{name, shape, offset}` with offsets counted in
/// floats) and one raw little-endian float32 file (`tensors.f32`).
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
            let values = data.withUnsafeBytes { raw -> [Float] in
                [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    for i in 0..<count {
                        let bits = raw.loadUnaligned(fromByteOffset: (offset + i) * 4, as: UInt32.self)
                        buffer[i] = Float(bitPattern: UInt32(littleEndian: bits))
                    }
                    initialized = count
                }
            }
            do {
                try archive.append(name: name, shape: shape, values: values)
            } catch {
                throw .badManifest(path: manifestPath, reason: error.description)
            }
        }
        return archive
    }

    /// Writes `manifest.json` and `tensors.f32` into `directory` (created if
    /// needed), each file flushed to disk with `fsync` before returning.
    public func write(directory: String) throws(ArchiveError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .io(path: directory, reason: "cannot create directory: \(error.localizedDescription)")
        }
        var list: [JSONValue] = []
        var offset = 0
        for entry in entries {
            list.append(.object([
                "name": .string(entry.name),
                "shape": .array(entry.shape.map { .int($0) }),
                "offset": .int(offset),
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
    }
}
