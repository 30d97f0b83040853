import ArgumentParser
import MoeData
import MoeTrain

// Options that take one word of a fixed set: the argument parser refuses any other word, naming the
// option and the choices, and --help lists them. The enums' raw values are the words.
extension TokenizerEngine: ExpressibleByArgument {}
extension ModeTokenEncoding: ExpressibleByArgument {}
extension LRSchedule.Kind: ExpressibleByArgument {}
extension MoEOptions.GateWeights: ExpressibleByArgument {}
