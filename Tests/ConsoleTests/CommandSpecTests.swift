import Testing
import Console

private let spec = CommandSpec(
    name: "herd train", abstract: "Train.",
    options: [
        .value("config", "FILE", help: "The run configuration.", default: "cluster.yaml"),
        .value("threads", "N", help: "Kernel threads.", default: "all cores"),
        .flag("resume", help: "Continue from the latest checkpoint."),
        OptionSpec("image", .repeated(placeholder: "FILE"), help: "An image."),
    ],
    arguments: [ArgumentSpec("IMAGES", help: "Images.", isRequired: false, isVariadic: true)],
    examples: ["herd train --config cluster.yaml"])

@Test func parsesValuesFlagsAndPositionals() throws {
    let parsed = try spec.parse(["--config", "a.yaml", "--resume", "x.jpg", "--threads=2", "y.jpg", "--image", "p", "--image", "q"])
    #expect(parsed.string("config") == "a.yaml")
    #expect(parsed.flag("resume"))
    #expect(try parsed.int("threads") == 2)
    #expect(parsed.positionals == ["x.jpg", "y.jpg"])
    #expect(parsed.strings("image") == ["p", "q"])
}

@Test func unknownOptionIsNamed() {
    #expect(throws: UsageError.unknownOption("--bogus")) { try spec.parse(["--bogus"]) }
}

@Test func missingValueIsNamed() {
    #expect(throws: UsageError.missingValue(option: "config")) { try spec.parse(["--config"]) }
    #expect(throws: UsageError.missingValue(option: "config")) { try spec.parse(["--config", "--resume"]) }
}

@Test func badIntegerNamesOptionAndValue() throws {
    let parsed = try spec.parse(["--threads", "two"])
    #expect(throws: UsageError.invalidValue(option: "--threads", value: "two", expected: "an integer")) {
        try parsed.int("threads")
    }
}

@Test func flagWithValueIsRejected() {
    #expect(throws: UsageError.flagTakesNoValue("resume")) { try spec.parse(["--resume=yes"]) }
}

@Test func missingRequiredArgumentIsNamed() {
    let needsFile = CommandSpec(name: "herd image info", abstract: "Info.", arguments: [ArgumentSpec("FILE", help: "A file.")])
    #expect(throws: UsageError.missingArgument("FILE")) { try needsFile.parse([]) }
    #expect(throws: UsageError.unexpectedArgument("b")) { try needsFile.parse(["a", "b"]) }
}

@Test func helpListsEveryOptionWithDefaultAndExample() {
    let help = spec.helpText
    #expect(help.contains("USAGE: herd train [IMAGES...] [OPTIONS]"))
    #expect(help.contains("--config FILE"))
    #expect(help.contains("(default: cluster.yaml)"))
    #expect(help.contains("--resume"))
    #expect(help.contains("herd train --config cluster.yaml"))
}

@Test func usageErrorsExitWithTwoAndHelpExitsZero() {
    var ran = false
    #expect(CommandLineTool.runReturningStatus(spec, arguments: ["--nope"]) { _ in ran = true } == 2)
    #expect(!ran)
    #expect(CommandLineTool.runReturningStatus(spec, arguments: ["--help"]) { _ in ran = true } == 0)
    #expect(!ran)
    #expect(CommandLineTool.runReturningStatus(spec, arguments: ["--resume"]) { _ in ran = true } == 0)
    #expect(ran)
}

@Test func subcommandTableMatchesLongestPath() throws {
    let table = SubcommandTable(toolName: "herd", abstract: "Herd.", commands: [
        Subcommand(["bench", "kernels"], spec: CommandSpec(name: "herd bench kernels", abstract: "K.")) { _ in },
        Subcommand(["bench", "step"], spec: CommandSpec(name: "herd bench step", abstract: "S.")) { _ in },
    ])
    let (command, rest) = try #require(table.match(["bench", "step", "--x"]))
    #expect(command.path == ["bench", "step"])
    #expect(rest == ["--x"])
    #expect(table.match(["bench"]) == nil)
    #expect(table.runReturningStatus(["frobnicate"]) == 2)
    #expect(table.helpText.contains("bench kernels"))
}

@Test func progressLineShowsCountPercentAndETA() {
    let line = Progress.render(label: "epoch 1/2", done: 25, total: 100, elapsed: 10, detail: "G 1.2", barWidth: 4)
    #expect(line == "epoch 1/2 [#...] 25/100  25% ETA 30s  G 1.2")
    #expect(Progress.formatDuration(3725) == "1h02m")
    #expect(Progress.formatDuration(75) == "1m15s")
}
