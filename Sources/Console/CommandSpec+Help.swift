extension CommandSpec {
    /// The `--help` text: abstract, usage, discussion, arguments, options with
    /// their defaults, and examples.
    public var helpText: String {
        var lines: [String] = []
        lines.append("OVERVIEW: \(abstract)")
        lines.append("")
        var usage = "USAGE: \(name)"
        for argument in arguments {
            let shown = argument.name + (argument.isVariadic ? "..." : "")
            usage += argument.isRequired ? " \(shown)" : " [\(shown)]"
        }
        if !options.isEmpty { usage += " [OPTIONS]" }
        lines.append(usage)
        if !discussion.isEmpty {
            lines.append("")
            lines.append(discussion)
        }
        if !arguments.isEmpty {
            lines.append("")
            lines.append("ARGUMENTS:")
            for argument in arguments {
                lines.append(Self.row(argument.name + (argument.isVariadic ? "..." : ""), argument.help))
            }
        }
        lines.append("")
        lines.append("OPTIONS:")
        for option in options {
            var left = "--\(option.name)"
            switch option.kind {
            case .flag: break
            case .value(let placeholder): left += " \(placeholder)"
            case .repeated(let placeholder): left += " \(placeholder) (repeatable)"
            }
            var help = option.help
            if let value = option.defaultDescription { help += " (default: \(value))" }
            lines.append(Self.row(left, help))
        }
        lines.append(Self.row("-h, --help", "Show this help and exit."))
        if !examples.isEmpty {
            lines.append("")
            lines.append(examples.count == 1 ? "EXAMPLE:" : "EXAMPLES:")
            for example in examples { lines.append("  \(example)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One two-column help row; long left columns put the help on the next line.
    static func row(_ left: String, _ help: String) -> String {
        let width = 26
        let padded = "  " + left
        if padded.count >= width {
            return padded + "\n" + String(repeating: " ", count: width) + help
        }
        return padded + String(repeating: " ", count: width - padded.count) + help
    }
}
