import Testing
import Console

/// What a user sees for an incomplete command line, the grouped help and the Ctrl-C notice.
@Suite struct UsageMessageTests {
    static let train = CommandSpec(
        name: "herd train", abstract: "Train.",
        options: [.value("config", "FILE", help: "The run configuration.")],
        examples: ["herd train --config cluster.yaml", "herd train --config cluster.yaml --resume"])

    @Test func aMissingRequiredOptionSaysWhichAndShowsTheFirstExample() throws {
        let parsed = try Self.train.parse([])
        #expect(throws: UsageError.missingOption("config")) { try parsed.required("config") }
        let message = CommandLineTool.usageMessage(.missingOption("config"), spec: Self.train)
        #expect(message == """
            error: missing --config, which this command needs
            For example: herd train --config cluster.yaml
            See 'herd train --help'.
            """)
        #expect(!message.contains("needs a value"))
        // An option given without its value still says so, without an example.
        #expect(CommandLineTool.usageMessage(.missingValue(option: "config"), spec: Self.train)
            == "error: option '--config' needs a value\nSee 'herd train --help'.")
    }

    @Test func toolHelpListsCommandsUnderTheirGroups() {
        let noop: @Sendable (ParsedArguments) throws -> Void = { _ in }
        let table = SubcommandTable(toolName: "herd", abstract: "Herd.", commands:
            [Subcommand(["demo"], spec: CommandSpec(name: "herd demo", abstract: "Demo."), run: noop)].grouped("Start here")
            + [Subcommand(["data", "check"], spec: CommandSpec(name: "herd data check", abstract: "Check."), run: noop),
               Subcommand(["data", "synth"], spec: CommandSpec(name: "herd data synth", abstract: "Synth."), run: noop)].grouped("Data")
            + [Subcommand(["version"], spec: CommandSpec(name: "herd version", abstract: "Version."), run: noop)])
        let help = table.helpText
        let start = help.range(of: "START HERE:\n  demo")
        let data = help.range(of: "DATA:\n  data check")
        let other = help.range(of: "COMMANDS:\n  version")
        #expect(start != nil && data != nil && other != nil, "\(help)")
        if let start, let data, let other { #expect(start.lowerBound < data.lowerBound && data.lowerBound < other.lowerBound) }
        let group = table.groupHelpText("data")
        #expect(group?.hasPrefix("USAGE: herd data COMMAND [OPTIONS]\n") == true)
        #expect(group?.contains("data synth") == true && group?.contains("version") == false)
        #expect(table.groupHelpText("nothing") == nil)
    }

    @Test func interruptNoticeNamesTheStepTheCheckpointAndTheResumeCommand() {
        let notice = InterruptNotice(resumeCommand: "herd train --config quick.yaml --resume")
        #expect(notice.message().contains("before the first step of this session ended"))
        #expect(notice.message().hasSuffix("with: herd train --config quick.yaml --resume"))
        notice.step(epoch: 1, stepInEpoch: 17, global: 17)
        #expect(notice.message().contains("no checkpoint of this run was written yet (see checkpoint.every_steps), "
                                          + "so the run starts again at step 1"))
        notice.step(epoch: 3, stepInEpoch: 17, global: 217)
        notice.checkpoint("checkpoints/quick/step-000000200")
        let message = notice.message()
        #expect(message.contains("after step 217 (epoch 3, step 17 of the epoch)"))
        #expect(message.contains("Resume from the last checkpoint, checkpoints/quick/step-000000200, with: herd train"))
    }
}
