import Foundation
import SharedFixtures
@testable import Datasets
@testable import Imaging

/// `../shared` next to the package root, and scratch folders for tests.
enum Fixtures {
    static let shared: String? = SharedFixtures.root

    static let missing = Comment(rawValue: "shared data (../shared next to the package) is absent; test skipped")

    /// A fresh empty directory, removed by the caller's `defer`.
    static func temporaryDirectory(_ label: String) -> String {
        let path = NSTemporaryDirectory() + "herd-\(label)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func copy(_ from: String, _ to: String) throws {
        try FileManager.default.createDirectory(atPath: (to as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: from, toPath: to)
    }

    static func write(_ bytes: [UInt8], _ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func sortedFiles(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }
}

import Testing
