/// The loss curve of a run (loss.svg): cross-entropy per step and its trailing moving average,
/// on an axis from the lowest to the highest loss.
public enum LossPlot {
    public static func svg(steps: [Int], losses: [Double], title: String) -> String {
        // A trailing moving average: single-row batches make the raw curve noisy.
        let window = max(1, losses.count / 25)
        var running = 0.0
        var smoothed: [(Double, Double)] = []
        for (i, v) in losses.enumerated() {
            running += v
            if i >= window { running -= losses[i - window] }
            smoothed.append((Double(steps[i]), running / Double(min(i + 1, window))))
        }
        let lo = losses.min() ?? 0, hi = losses.max() ?? 1
        return SVGChart.lines(
            title: title, xLabel: "step", yLabel: "cross-entropy",
            series: [("per step", zip(steps, losses).map { (Double($0), $1) }), ("mean of \(window) steps", smoothed)],
            yMin: lo, yMax: max(hi, lo + 1e-9), markers: false)
    }
}
