import Testing
@testable import CycleGAN

@Test func moduleLinks() { #expect(Bool(true)) }
