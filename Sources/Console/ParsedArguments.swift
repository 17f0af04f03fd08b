/// The options and arguments of one command line, parsed against a `CommandSpec`.
///
/// Accessors convert values and throw `UsageError.invalidValue` naming the
/// option when a value does not convert.
public struct ParsedArguments: Sendable, Equatable {
    /// Last value of each `.value` option, keyed by name without dashes.
    public var values: [String: String] = [:]
    /// Every value of each `.repeated` option.
    public var repeatedValues: [String: [String]] = [:]
    /// Flags that were given.
    public var flags: Set<String> = []
    /// Positional arguments in order.
    public var positionals: [String] = []

    public init() {}

    /// Whether the flag `--name` was given.
    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The value of `--name`, or nil when absent.
    public func string(_ name: String) -> String? { values[name] }

    /// The value of `--name`, or `defaultValue` when absent.
    public func string(_ name: String, default defaultValue: String) -> String { values[name] ?? defaultValue }

    /// All values given for a repeated option.
    public func strings(_ name: String) -> [String] { repeatedValues[name] ?? [] }

    /// `--name` as an integer (nil when absent).
    public func int(_ name: String) throws(UsageError) -> Int? {
        guard let raw = values[name] else { return nil }
        guard let value = Int(raw) else {
            throw .invalidValue(option: "--\(name)", value: raw, expected: "an integer")
        }
        return value
    }

    /// `--name` as an integer, or `defaultValue` when absent.
    public func int(_ name: String, default defaultValue: Int) throws(UsageError) -> Int {
        try int(name) ?? defaultValue
    }

    /// `--name` as an integer of at least `minimum`, or `defaultValue` when absent.
    public func int(_ name: String, default defaultValue: Int, minimum: Int) throws(UsageError) -> Int {
        let value = try int(name) ?? defaultValue
        guard value >= minimum else {
            throw .invalidValue(option: "--\(name)", value: String(value), expected: "an integer >= \(minimum)")
        }
        return value
    }

    /// `--name` as a floating-point number (nil when absent).
    public func double(_ name: String) throws(UsageError) -> Double? {
        guard let raw = values[name] else { return nil }
        guard let value = Double(raw), value.isFinite else {
            throw .invalidValue(option: "--\(name)", value: raw, expected: "a number")
        }
        return value
    }

    /// The positional argument at `index`, or a `missingArgument` error naming it.
    public func positional(_ index: Int, name: String) throws(UsageError) -> String {
        guard index < positionals.count else { throw .missingArgument(name) }
        return positionals[index]
    }

    /// A required `--name`, or a `missingOption` error naming it.
    public func required(_ name: String) throws(UsageError) -> String {
        guard let value = values[name] else { throw .missingOption(name) }
        return value
    }
}
