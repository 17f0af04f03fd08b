import Foundation
import Testing
@testable import CycleGAN

@Suite struct TensorArchiveTests {
    @Test func roundTripsTensorsAndMetadata() throws {
        var archive = TensorArchive(metadata: ["config": .object(["ngf": .int(8), "lr": .number(0.0002), "seed": .unsigned(UInt64.max)])])
        try archive.append(name: "a/x", shape: [2, 3], values: [1, 2, 3, 4, 5, -6.5])
        try archive.append(name: "scalar", shape: [1], values: [.pi])
        try archive.append(name: "empty", shape: [0, 3], values: [])
        let directory = try TestSupport.temporaryDirectory("archive")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try archive.write(directory: directory)
        let reread = try TensorArchive.read(directory: directory)
        #expect(reread.entries == archive.entries)
        #expect(reread.metadata["config"]?["seed"] == .unsigned(UInt64.max))
        #expect(reread.metadata["config"]?["lr"]?.doubleValue == 0.0002)
        #expect(reread.metadata["config"]?["ngf"]?.intValue == 8)
        // The data file is raw little-endian float32 in entry order.
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/tensors.f32"))
        #expect(data.count == 7 * 4)
    }

    @Test func rejectsWrongCountsAndDuplicates() throws {
        var archive = TensorArchive()
        #expect(throws: ArchiveError.countMismatch(name: "x", shape: [2], count: 3)) {
            try archive.append(name: "x", shape: [2], values: [1, 2, 3])
        }
        try archive.append(name: "x", shape: [1], values: [1])
        #expect(throws: ArchiveError.duplicateTensor(name: "x")) { try archive.append(name: "x", shape: [1], values: [1]) }
        #expect(throws: ArchiveError.self) { try archive.values("missing") }
        #expect(throws: ArchiveError.self) { try archive.values("x", shape: [2]) }
    }

    private func writeRaw(manifest: String, data: [UInt8]) throws -> String {
        let directory = try TestSupport.temporaryDirectory("bad-archive")
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: directory + "/manifest.json"))
        try Data(data).write(to: URL(fileURLWithPath: directory + "/tensors.f32"))
        return directory
    }

    @Test(arguments: [
        "not json",
        "[1, 2]",
        #"{"format": "other", "tensors": []}"#,
        #"{"tensors": [{"name": "x", "shape": [3], "offset": 0}]}"#,
        #"{"tensors": [{"name": "x", "shape": [1], "offset": 2}]}"#,
        #"{"tensors": [{"name": "x", "shape": [-1], "offset": 0}]}"#,
        #"{"tensors": [{"shape": [1], "offset": 0}]}"#,
        #"{"tensors": [{"name": "x", "shape": [1], "offset": -1}]}"#,
        #"{"tensors": [{"name": "x", "shape": [4611686018427387904, 4], "offset": 0}]}"#,
        #"{"data": "../etc/passwd", "tensors": []}"#,
        #"{"other": 1}"#,
    ])
    func malformedArchivesThrowInsteadOfCrashing(_ manifest: String) throws {
        let directory = try writeRaw(manifest: manifest, data: [0, 0, 128, 63, 0, 0, 0, 64])  // 1.0, 2.0
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: ArchiveError.self) { try TensorArchive.read(directory: directory) }
    }

    @Test func aTruncatedDataFileIsReported() throws {
        let directory = try writeRaw(manifest: #"{"tensors": [{"name": "x", "shape": [1], "offset": 0}]}"#, data: [0, 0, 128])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: ArchiveError.self) { try TensorArchive.read(directory: directory) }
    }

    @Test func aMissingDirectoryIsAnIOError() {
        do {
            _ = try TensorArchive.read(directory: "/nonexistent/herd-archive")
            Issue.record("reading a missing archive succeeded")
        } catch {
            if case .io(let path, _) = error { #expect(path.hasSuffix("manifest.json")) } else { Issue.record("unexpected \(error)") }
        }
    }
}
