import Cluster
import Foundation

/// The file behind `--log-json` (the coordinator's and `herd train`'s): one JSON object per
/// line, appended, so that a resumed run continues the history of the one it resumes.
/// Lines may come from several threads; each is written whole.
public final class JSONLineFile: Sendable {
    private let handle: LockedBox<FileHandle>

    /// Opens `path` for appending, creating it (and nothing else) when missing.
    /// - Throws: `BenchmarkError` naming the file and the option when it cannot be written.
    public init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw BenchmarkError("--log-json \(path): cannot create the file (does its folder exist, and may you write there?)")
            }
        }
        guard let file = FileHandle(forWritingAtPath: path) else {
            throw BenchmarkError("--log-json \(path): cannot open the file for writing (check its permissions)")
        }
        file.seekToEndOfFile()
        handle = LockedBox(file)
    }

    /// Appends `line` and a newline.
    public func write(_ line: String) {
        handle.update { $0.write(Data((line + "\n").utf8)) }
    }
}
