/// One subcommand of a multi-command tool such as `herd`.
public struct Subcommand: Sendable {
    /// The words that select it after the tool name, e.g. `["bench", "kernels"]`.
    public var path: [String]
    public var spec: CommandSpec
    /// Runs the command with the arguments after its path; `CommandLineTool`
    /// semantics (help, usage errors, exit codes) apply.
    public var run: @Sendable (ParsedArguments) throws -> Void
    /// The heading it is listed under in the tool's help ("" lists it under COMMANDS).
    public var group = ""

    public init(_ path: [String], spec: CommandSpec, run: @escaping @Sendable (ParsedArguments) throws -> Void) {
        self.path = path
        self.spec = spec
        self.run = run
    }
}

extension Array where Element == Subcommand {
    /// These commands listed under `heading` in the tool's help.
    public func grouped(_ heading: String) -> [Subcommand] {
        map { command in
            var command = command
            command.group = heading
            return command
        }
    }
}

/// Selects a subcommand by its words and runs it.
public struct SubcommandTable: Sendable {
    public var toolName: String
    public var abstract: String
    public var commands: [Subcommand]
    public var examples: [String]

    public init(toolName: String, abstract: String, commands: [Subcommand], examples: [String] = []) {
        self.toolName = toolName
        self.abstract = abstract
        self.commands = commands
        self.examples = examples
    }

    /// The tool's top-level help: every command with its abstract, under its group's heading
    /// (groups in the order of their first command).
    public var helpText: String {
        var lines = ["OVERVIEW: \(abstract)", "", "USAGE: \(toolName) COMMAND [OPTIONS]"]
        var groups: [String] = []
        for command in commands where !groups.contains(command.group) { groups.append(command.group) }
        for group in groups {
            lines.append("")
            lines.append(group.isEmpty ? "COMMANDS:" : group.uppercased() + ":")
            for command in commands where command.group == group {
                lines.append(CommandSpec.row(command.path.joined(separator: " "), command.spec.abstract))
            }
        }
        lines.append("")
        lines.append("Run '\(toolName) COMMAND --help' for a command's options.")
        if !examples.isEmpty {
            lines.append("")
            lines.append("EXAMPLES:")
            lines.append(contentsOf: examples.map { "  \($0)" })
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The help of a group word alone (`herd data --help`): its usage line and its commands;
    /// nil when no command starts with `word`.
    public func groupHelpText(_ word: String) -> String? {
        let group = commands.filter { $0.path.first == word }
        guard !group.isEmpty else { return nil }
        var lines = ["USAGE: \(toolName) \(word) COMMAND [OPTIONS]", "", "COMMANDS:"]
        for command in group {
            lines.append(CommandSpec.row(command.path.joined(separator: " "), command.spec.abstract))
        }
        lines.append("")
        lines.append("Run '\(toolName) \(word) COMMAND --help' for a command's options.")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Finds the command whose path is the longest prefix of `arguments`.
    public func match(_ arguments: [String]) -> (Subcommand, [String])? {
        var best: Subcommand?
        for command in commands where arguments.starts(with: command.path) {
            if command.path.count > (best?.path.count ?? 0) { best = command }
        }
        guard let best else { return nil }
        return (best, Array(arguments.dropFirst(best.path.count)))
    }

    /// Dispatches `arguments` (without the tool name) and returns the exit status.
    public func runReturningStatus(_ arguments: [String]) -> Int32 {
        if arguments.isEmpty || arguments == ["--help"] || arguments == ["-h"] || arguments == ["help"] {
            print(helpText, terminator: "")
            return arguments.isEmpty ? CommandLineTool.usageExitCode : 0
        }
        guard let (command, rest) = match(arguments) else {
            // A group word alone (`herd bench`) lists its commands.
            if let help = groupHelpText(arguments[0]),
               arguments.count == 1 || arguments[1] == "--help" || arguments[1] == "-h" {
                print(help, terminator: "")
                return arguments.count == 1 ? CommandLineTool.usageExitCode : 0
            }
            CommandLineTool.printError("error: \(UsageError.unknownCommand(arguments.prefix(2).joined(separator: " ")))\nSee '\(toolName) --help'.")
            return CommandLineTool.usageExitCode
        }
        return CommandLineTool.runReturningStatus(command.spec, arguments: rest, command.run)
    }
}
