extension CommandSpec {
    /// Parses `arguments` (without the command name itself).
    ///
    /// Accepts `--name value`, `--name=value`, flags, positionals, and `--` to end
    /// options. `-h`/`--help` are not handled here (see `CommandLineTool`).
    /// - Throws: `UsageError` naming the offending option or argument.
    public func parse(_ arguments: [String]) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositionals || !argument.hasPrefix("-") || argument == "-" {
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" {
                onlyPositionals = true
                continue
            }
            guard argument.hasPrefix("--") else { throw .unknownOption(argument) }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let option = option(named: name) else { throw .unknownOption("--\(name)") }
            switch option.kind {
            case .flag:
                if inlineValue != nil { throw .flagTakesNoValue(name) }
                parsed.flags.insert(name)
            case .value, .repeated:
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                        throw .missingValue(option: name)
                    }
                    value = arguments[index]
                    index += 1
                }
                if case .repeated = option.kind {
                    parsed.repeatedValues[name, default: []].append(value)
                } else {
                    parsed.values[name] = value
                }
            }
        }
        let required = self.arguments.filter(\.isRequired).count
        if parsed.positionals.count < required {
            throw .missingArgument(self.arguments[parsed.positionals.count].name)
        }
        let variadic = self.arguments.contains(where: \.isVariadic)
        if !variadic && parsed.positionals.count > self.arguments.count {
            throw .unexpectedArgument(parsed.positionals[self.arguments.count])
        }
        return parsed
    }
}
