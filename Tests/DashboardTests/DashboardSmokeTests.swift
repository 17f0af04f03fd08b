import Testing
@testable import Dashboard

@Test func moduleLinks() { #expect(Bool(true)) }
