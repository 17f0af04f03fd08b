import Testing
@testable import Console

@Test func moduleLinks() { #expect(Bool(true)) }
