#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Runs commands with uniform behaviour: `--help` prints the spec's help and
/// exits 0; a `UsageError` prints the error and a pointer to `--help` on
/// standard error and exits 2; any other error prints `error: …` and exits 1.
public enum CommandLineTool {
    /// Exit code for command lines that do not fit the spec.
    public static let usageExitCode: Int32 = 2
    /// Exit code for failures while running.
    public static let failureExitCode: Int32 = 1

    /// Parses `arguments` against `spec` and runs `body`, then exits the process.
    public static func run(_ spec: CommandSpec, arguments: [String],
                           _ body: (ParsedArguments) throws -> Void) -> Never {
        exit(runReturningStatus(spec, arguments: arguments, body))
    }

    /// As `run`, but returns the exit status instead of exiting (for tests and dispatch).
    public static func runReturningStatus(_ spec: CommandSpec, arguments: [String],
                                          _ body: (ParsedArguments) throws -> Void) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print(spec.helpText, terminator: "")
            return 0
        }
        do {
            let parsed = try spec.parse(arguments)
            try body(parsed)
            return 0
        } catch let error as UsageError {
            printError(usageMessage(error, spec: spec))
            return usageExitCode
        } catch {
            printError("error: \(error)")
            return failureExitCode
        }
    }

    /// Prints a usage error with a pointer to the command's help.
    public static func reportUsage(_ error: UsageError, command: String) {
        printError("error: \(error)\nSee '\(command) --help'.")
    }

    /// A usage error's message; when something required is missing, also how the command is
    /// called (its first example), so `herd train` alone says what to type.
    public static func usageMessage(_ error: UsageError, spec: CommandSpec) -> String {
        switch error {
        case .missingOption, .missingArgument:
            let example = spec.examples.first.map { "\nFor example: \($0)" } ?? ""
            return "error: \(error)\(example)\nSee '\(spec.name) --help'."
        default:
            return "error: \(error)\nSee '\(spec.name) --help'."
        }
    }

    /// Writes a line to standard error.
    public static func printError(_ message: String) {
        var bytes = Array((message + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { break }
            offset += written
        }
    }
}

extension CommandLineTool {
    /// Makes standard output line-buffered, so progress lines reach a pipe or a
    /// log file as they happen (stdio buffers whole blocks when not on a terminal).
    public static func lineBufferStandardOutput() {
        setvbuf(standardOutputStream(), nil, _IOLBF, 0)
    }
}
