/// A command line that does not fit its `CommandSpec`. Reported with a pointer
/// to `--help` and exit code 2.
public enum UsageError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownOption(String)
    case missingValue(option: String)
    /// A required `--name VALUE` option was not given at all.
    case missingOption(String)
    case invalidValue(option: String, value: String, expected: String)
    case missingArgument(String)
    case unexpectedArgument(String)
    case unknownCommand(String)
    case flagTakesNoValue(String)
    /// Two options that exclude each other, with why.
    case conflictingOptions(String, String, reason: String)

    public var description: String {
        switch self {
        case .unknownOption(let name): return "unknown option '\(name)'"
        case .missingValue(let option): return "option '--\(option)' needs a value"
        case .missingOption(let name): return "missing --\(name), which this command needs"
        case .invalidValue(let option, let value, let expected):
            return "option '\(option)': '\(value)' is not \(expected)"
        case .missingArgument(let name): return "missing argument \(name)"
        case .unexpectedArgument(let value): return "unexpected argument '\(value)'"
        case .unknownCommand(let name): return "unknown command '\(name)'"
        case .flagTakesNoValue(let name): return "option '--\(name)' is a flag and takes no value"
        case .conflictingOptions(let first, let second, let reason):
            return "options '--\(first)' and '--\(second)' cannot be given together: \(reason)"
        }
    }
}
