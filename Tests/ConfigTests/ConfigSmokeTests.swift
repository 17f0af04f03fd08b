import Testing
@testable import Config

@Test func moduleLinks() { #expect(Bool(true)) }
