import Foundation
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// Starting the local processes of `herd demo`.
enum LocalProcesses {
    /// This executable's path (the demo starts `herd coordinator` / `herd worker`).
    static func selfExecutable() -> String? {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return Bundle.main.executablePath
    }

    /// Starts `executable arguments`, its output appended to `log` (or inherited when nil).
    static func launch(_ executable: String, _ arguments: [String], log: String?) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let log {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            guard let handle = FileHandle(forWritingAtPath: log) else {
                throw DemoError.cannotLaunch(arguments.first ?? executable, reason: "cannot write its log \(log)")
            }
            process.standardOutput = handle
            process.standardError = handle
        }
        do {
            try process.run()
        } catch {
            throw DemoError.cannotLaunch(arguments.first ?? executable, reason: "\(error)")
        }
        return process
    }
}

/// TCP ports on the loopback interface.
enum LocalPorts {
    /// A port that was free a moment ago (the kernel's choice for port 0).
    static func free() throws -> Int {
        do {
            let (fd, port) = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 1)
            close(fd)
            return port
        } catch {
            throw DemoError.cannotLaunch("a socket", reason: error.reason)
        }
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func isListening(port: Int) -> Bool { Socket.isListening(host: "127.0.0.1", port: port) }

    /// Polls until `port` accepts connections or `seconds` pass.
    static func waitUntilListening(port: Int, seconds: Int) -> Bool {
        let deadline = Date().addingTimeInterval(Double(seconds))
        while Date() < deadline {
            if isListening(port: port) { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return false
    }
}
