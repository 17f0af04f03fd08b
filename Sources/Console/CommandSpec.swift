/// The description of one command: what it does, its options and arguments.
///
/// A spec is the single source of a command's parser and of its `--help` text,
/// so the two never disagree.
public struct CommandSpec: Sendable {
    /// The full command name as typed, e.g. `herd train` or `worker`.
    public var name: String
    /// One line: what the command does.
    public var abstract: String
    /// Paragraphs printed after the usage line (may be empty).
    public var discussion: String
    public var options: [OptionSpec]
    public var arguments: [ArgumentSpec]
    /// Complete example invocations.
    public var examples: [String]

    public init(name: String, abstract: String, discussion: String = "",
                options: [OptionSpec] = [], arguments: [ArgumentSpec] = [], examples: [String] = []) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.options = options
        self.arguments = arguments
        self.examples = examples
    }

    func option(named name: String) -> OptionSpec? { options.first { $0.name == name } }
}

/// A `--name value` option or a `--name` flag.
public struct OptionSpec: Sendable {
    public enum Kind: Sendable {
        /// `--name` alone; its presence means true.
        case flag
        /// `--name VALUE` (or `--name=VALUE`); the last occurrence wins.
        case value(placeholder: String)
        /// `--name VALUE` that may be given several times; all values are kept.
        case repeated(placeholder: String)
    }
    /// Without the leading dashes: `threads` for `--threads`.
    public var name: String
    public var kind: Kind
    public var help: String
    /// Printed in the help as "(default: …)"; nil when there is none.
    public var defaultDescription: String?

    public init(_ name: String, _ kind: Kind, help: String, default defaultDescription: String? = nil) {
        self.name = name
        self.kind = kind
        self.help = help
        self.defaultDescription = defaultDescription
    }

    /// A flag option (`--resume`).
    public static func flag(_ name: String, help: String) -> OptionSpec {
        OptionSpec(name, .flag, help: help)
    }

    /// An option taking one value (`--threads N`).
    public static func value(_ name: String, _ placeholder: String, help: String, default value: String? = nil) -> OptionSpec {
        OptionSpec(name, .value(placeholder: placeholder), help: help, default: value)
    }
}

/// A positional argument.
public struct ArgumentSpec: Sendable {
    public var name: String
    public var help: String
    /// Whether it must be given.
    public var isRequired: Bool
    /// Whether it takes all remaining positional values (`IMAGES...`).
    public var isVariadic: Bool

    public init(_ name: String, help: String, isRequired: Bool = true, isVariadic: Bool = false) {
        self.name = name
        self.help = help
        self.isRequired = isRequired
        self.isVariadic = isVariadic
    }
}
