import Foundation
import SharedFixtures
@testable import Imaging

/// Locates `../shared` next to the package root (the directory holding Package.swift).
enum SharedData {
    static let root: String? = SharedFixtures.root

    static var conformance: String? { root.map { $0 + "/data/codec-conformance" } }

    static let missingMessage = "shared data (../shared next to the package) is absent; conformance tests skipped"

    /// One entry of `codec-conformance/index.json`.
    struct Entry: Decodable, Sendable, CustomStringConvertible {
        var file: String
        var pixels: String
        var width: Int
        var height: Int
        var channels: Int
        var bit_depth: Int
        var description: String { file }
    }

    static let entries: [Entry] = {
        guard let dir = conformance,
              let data = FileManager.default.contents(atPath: dir + "/index.json") else { return [] }
        struct Index: Decodable { var images: [Entry] }
        return (try? JSONDecoder().decode(Index.self, from: data))?.images ?? []
    }()

    static func bytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }
}

/// Max and mean absolute difference between two sample arrays of equal length.
func sampleDifference(_ a: [UInt8], _ b: [UInt8]) -> (max: Int, mean: Double) {
    var maxDiff = 0
    var total = 0
    for i in 0..<min(a.count, b.count) {
        let d = abs(Int(a[i]) - Int(b[i]))
        total += d
        if d > maxDiff { maxDiff = d }
    }
    return (maxDiff, a.isEmpty ? 0 : Double(total) / Double(a.count))
}
