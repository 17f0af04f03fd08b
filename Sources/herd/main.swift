// `herd`: the user CLI. Each command group lives in its own file and is listed
// in CommandTable.swift.
import Console
import Foundation

CommandLineTool.lineBufferStandardOutput()
let status = HerdCommandTable.table.runReturningStatus(Array(CommandLine.arguments.dropFirst()))
exit(status)
