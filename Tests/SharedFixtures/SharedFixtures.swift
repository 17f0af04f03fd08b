import Foundation

/// Where the tests find the project's shared data: `../shared` next to the package
/// root (the directory holding Package.swift), as in a checkout beside `shared/`.
/// CI always has it; elsewhere the tests that need it skip with a message.
public enum SharedFixtures {
    /// The `shared` directory, or nil when it is absent.
    public static let root: String? = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                let shared = dir.deletingLastPathComponent().appendingPathComponent("shared").path
                return FileManager.default.fileExists(atPath: shared) ? shared : nil
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()
}
