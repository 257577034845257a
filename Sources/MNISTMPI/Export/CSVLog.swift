/// The per-epoch log `--csv` writes, in the shape of Keras's `CSVLogger`: a header row
/// `epoch,accuracy,loss[,val_accuracy,val_loss]` (Keras sorts the keys), epochs from 0.
public enum CSVLog {
    public static func text(epochs: [EpochMetrics], validation: [Evaluation?]) -> String {
        let withValidation = validation.contains { $0 != nil }
        var lines = ["epoch,accuracy,loss" + (withValidation ? ",val_accuracy,val_loss" : "")]
        for (e, m) in epochs.enumerated() {
            var row = "\(e),\(m.accuracy),\(m.loss)"
            if withValidation {
                let v = e < validation.count ? validation[e] : nil
                row += v.map { ",\($0.accuracy),\($0.loss)" } ?? ",,"
            }
            lines.append(row)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
