import Testing
@Test func placeholderMoeTrain() { #expect(1 + 1 == 2) }
