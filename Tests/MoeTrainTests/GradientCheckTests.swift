import Testing
@testable import MoeTrain
